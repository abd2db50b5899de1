import ref, time
for pid, part, sz in [('gru','a',{'B': 2, 'T': 3, 'J': 4, 'K': 3}), ('ugcnn','a',{'B': 2, 'X': 4, 'Y': 3, 'J': 3, 'D': 2}), ('lenet5','b',{'U': 5, 'V': 8, 'P': 2, 'F': 2, 'G': 3, 'M': 4, 'N': 6, 'D': 3, 'R': 2, 'C': 3})]:
    S = ref.Setup(pid, part, sz, 0)
    t = time.time(); S.ref_grads(); print(pid, time.time()-t)
