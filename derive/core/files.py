"""Reading a file a user names (a spec, an answer, a batch of answers) as text, safely:
a regular file, of a bounded size, in UTF-8.  Anything else is a clear error before any
byte is used: a FIFO or /dev/zero would block or never end, a file of hundreds of MB
would be read whole, and bytes that are not UTF-8 have no meaning as notation."""
from __future__ import annotations

import os
import stat

MAX_TEXT_BYTES = 4 << 20         # 4 MiB: a spec or an answers file is far smaller


class TextFileError(ValueError):
    """The file cannot be read as text; the message says why."""


def read_text_file(path, what: str = "file", limit: int = MAX_TEXT_BYTES) -> str:
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise TextFileError(f"cannot read the {what}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(
            st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(
            st.st_mode) else "not a regular file"
        raise TextFileError(f"the {what} is {kind}, not a text file")
    if st.st_size > limit:
        raise TextFileError(f"the {what} is {st.st_size / 2 ** 20:,.0f} MiB; a {what} is "
                            f"at most {limit >> 20} MiB")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise TextFileError(f"cannot read the {what}: {e.strerror}") from None
    if len(data) > limit:                    # it grew while we looked
        raise TextFileError(f"the {what} is over {limit >> 20} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise TextFileError(f"the {what} is not UTF-8 text (byte {e.start}, line {line}: "
                            f"{e.reason}); save it as UTF-8") from None
    return text
