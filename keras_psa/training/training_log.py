"""Reading and trimming the CSVLogger file of a resumed run."""

import csv
import math
import os


def read_log(path):
    """Rows of a CSVLogger file as dicts of floats (`epoch` as int); [] if absent."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    parsed = []
    for row in rows:
        try:
            parsed.append({key: (int(value) if key == "epoch" else float(value))
                           for key, value in row.items()})
        except (TypeError, ValueError):
            continue  # a row cut short by a kill
    return parsed


def trim_log(path, first_epoch):
    """Drops the rows of epochs >= `first_epoch` (they are about to be trained again)."""
    if not os.path.exists(path):
        return
    with open(path, newline="") as file:
        lines = file.read().splitlines()
    if not lines:
        return
    kept = [lines[0]]
    for line in lines[1:]:
        head = line.split(",", 1)[0]
        if head.isdigit() and int(head) < first_epoch:
            kept.append(line)
    with open(path, "w") as file:
        file.write("\n".join(kept) + "\n")


def best_logged(path, key, mode="max"):
    """The best finite value of column `key`, or None (to seed ModelCheckpoint on resume)."""
    values = [row[key] for row in read_log(path) if key in row and math.isfinite(row[key])]
    if not values:
        return None
    return max(values) if mode == "max" else min(values)
