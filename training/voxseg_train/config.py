"""Training configuration: a JSON file per model (configs/<id>.json), with a smaller `smoke` variant."""
import copy
import json
import re
from pathlib import Path


def parse_seeds(text):
    """"1-40,50" -> [1..40, 50] (the same rule as `voxseg dataset --seeds`)."""
    out = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise ValueError(f'seeds: "{part}" is not N or N-M')
        a = int(m.group(1))
        b = int(m.group(2) or a)
        out.extend(range(a, b + 1))
    return out


def load_config(path, smoke=False):
    cfg = json.loads(Path(path).read_text())
    if smoke:
        s = cfg.get("smoke", {})
        cfg = copy.deepcopy(cfg)
        if "data" in s:
            cfg["data"] = s["data"]
        cfg["train"].update(s.get("train", {}))
        cfg["version"] = cfg["version"] + "-smoke"
    cfg["smoke"] = smoke
    return cfg


def cases(cfg, split):
    """[(kind, seed)] of one split ('train', 'validation', 'test')."""
    return [(g["kind"], s) for g in cfg["data"][split] for s in parse_seeds(g["seeds"])]
