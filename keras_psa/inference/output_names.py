"""Names of the files a run writes per input."""

import os


def unique_stem(path, used):
    """The file name of `path` without its extension, made unique among `used` (which it
    joins) by a `_2`, `_3`, ... suffix: two inputs named alike write two outputs."""
    stem = os.path.splitext(os.path.basename(path))[0]
    name, count = stem, 1
    while name in used:
        count += 1
        name = f"{stem}_{count}"
    used.add(name)
    return name
