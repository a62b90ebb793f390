#!/usr/bin/python3
"""
Train a voxseg model end to end: phantom cases -> 3D U-Net -> ONNX + manifest.json.

  /usr/bin/python3 training/train.py configs/abdomen-phantom.json [--out DIR] [--smoke]

Steps: write the missing phantom cases (`voxseg dataset`), resample them to the model grid,
train with patch sampling (foreground oversampling, augmentation) and Dice + cross-entropy,
validate every epoch on whole held-out volumes, stop early when validation Dice stops improving,
export the best epoch to ONNX and write the manifest (normalization, spacing, patch, labels with
SNOMED codes, data, validation Dice). `voxseg evaluate` then writes the report beside it
(see training/README.md). The same config and seed give the same model on the same machine.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from voxseg_train.config import cases, load_config  # noqa: E402
from voxseg_train.data import PatchSampler, REPO, ct_normalization, ensure_cases, load_case, normalize  # noqa: E402
from voxseg_train.export import export_onnx, write_manifest  # noqa: E402
from voxseg_train.loss import dice_ce_loss, dice_per_class  # noqa: E402
from voxseg_train.model import UNet3D, predict_volume, recalibrate_batch_norm  # noqa: E402
from voxseg_train.postprocess import choose_largest_component  # noqa: E402


def log(msg):
    print(msg, flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config", help="training config (JSON), e.g. training/configs/abdomen-phantom.json")
    ap.add_argument("--out", help="output folder for model.onnx + manifest.json (default training/runs/<id>[-smoke])")
    ap.add_argument("--data", help="dataset folder (default training/data/<id>)")
    ap.add_argument("--smoke", action="store_true", help="a one-minute run on a few small cases: checks the pipeline, not the model")
    args = ap.parse_args(argv)

    cfg_path = Path(args.config)
    if not cfg_path.exists():
        cfg_path = Path(__file__).resolve().parent / "configs" / args.config
    cfg = load_config(cfg_path, smoke=args.smoke)
    tr = cfg["train"]
    run_id = cfg["id"] + ("-smoke" if args.smoke else "")
    out = Path(args.out or REPO / "training" / "runs" / run_id)
    data_dir = Path(args.data or REPO / "training" / "data" / cfg["id"])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(tr["seed"])
    torch.set_num_threads(tr.get("threads", 2))
    rng = np.random.default_rng(tr["seed"])
    spacing = cfg["preprocessing"]["spacing"]
    classes = len(cfg["labels"]) + 1
    t0 = time.time()

    # 1. Data: phantom cases on the model grid.
    train_ids, val_ids = cases(cfg, "train"), cases(cfg, "validation")
    recs = ensure_cases(data_dir, train_ids + val_ids, log)
    cache = data_dir / "cache"
    loaded = [load_case(data_dir, r, spacing, cache) for r in recs]
    train_raw, val_raw = loaded[: len(train_ids)], loaded[len(train_ids):]
    norm = ct_normalization(train_raw, rng, cfg["preprocessing"].get("window"))
    log(f"data: {len(train_raw)} training and {len(val_raw)} validation cases at {spacing} mm "
        f"({time.time() - t0:.0f} s); normalization {json.dumps(norm)}")
    train = [(normalize(i, norm), l) for i, l in train_raw]
    val = [(normalize(i, norm), l) for i, l in val_raw]
    names = [l["name"] for l in cfg["labels"]]
    weights = tr.get("foregroundWeights", {})
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise SystemExit(f"{cfg_path}: train.foregroundWeights names unknown labels {unknown} (labels: {names})")
    sampler = PatchSampler(train, classes, tr["patch"], rng, tr["foregroundFraction"],
                           [float(weights.get(n, 1.0)) for n in names])

    # 2. Training with validation every epoch and early stopping.
    norm_kind, downsample = tr.get("norm", "batch"), tr.get("downsample", "maxpool")
    model = UNet3D(tuple(tr["channels"]), classes, norm_kind, downsample)
    opt = torch.optim.AdamW(model.parameters(), lr=tr["learningRate"], weight_decay=tr["weightDecay"])
    total = tr["epochs"] * tr["iterationsPerEpoch"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: (1 - it / total) ** 0.9)
    best = {"dice": -1.0, "epoch": 0, "state": None, "preds": None}
    history = []
    for epoch in range(1, tr["epochs"] + 1):
        model.train()
        te = time.time()
        losses = []
        for _ in range(tr["iterationsPerEpoch"]):
            x, y = sampler.sample(tr["batch"])
            opt.zero_grad()
            loss = dice_ce_loss(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss))
        recalibrate_batch_norm(model, sampler, tr.get("normBatches", 16), tr["batch"])
        model.eval()
        tv = time.time()
        preds = [predict_volume(model, i, tr['patch']).argmax(0).to(torch.uint8).numpy() for i, _ in val]  # kept for the best epoch
        per = np.array([dice_per_class(p, l, classes) for p, (_, l) in zip(preds, val)])
        per_class = np.nanmean(per, 0)
        mean = float(np.nanmean(per_class))
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "valDice": mean})
        log(f"epoch {epoch:2d}: loss {np.mean(losses):.4f}, validation Dice {mean:.4f} "
            f"({', '.join(f'{n} {d:.3f}' for n, d in zip(names, per_class))}) {time.time() - te:.0f} s ({time.time() - tv:.0f} s validation)")
        if mean > best["dice"]:
            best = {"dice": mean, "epoch": epoch, "state": {k: v.clone() for k, v in model.state_dict().items()}, "preds": preds}
            torch.save(best["state"], out / "weights.pt")  # the best so far survives an interrupted run
        elif epoch - best["epoch"] >= tr["patience"]:
            log(f"early stop: no better validation Dice since epoch {best['epoch']}")
            break

    # 3. Largest-component cleanup per label where it raises the best epoch's validation Dice.
    model.load_state_dict(best["state"])
    model.eval()
    largest, per_class = choose_largest_component(best["preds"], [l for _, l in val], classes)
    log(f"largest component kept for: {', '.join(names[c - 1] for c in largest) or 'none'}; validation Dice "
        f"{float(np.nanmean(per_class)):.4f} ({', '.join(f'{n} {d:.3f}' for n, d in zip(names, per_class))})")

    # 4. Export the best epoch (weights.pt was saved when it was reached).
    ops = export_onnx(model, out / "model.onnx", tr["patch"])
    ntr = {k: sum(1 for kk, _ in train_ids if kk == k) for k in ("varied", "demo")}
    fg_note = ("patch centres weighted " + ", ".join(f"{n} x{w:g}" for n, w in weights.items()) + ", ") if weights else ""
    info = {
        "data": (f"{len(train_ids)} synthetic voxseg phantoms ({ntr['varied']} varied: field of view, 0.9-1.6 mm pixels, "
                 f"1.5-5 mm slices, 4-25 HU noise, organ sizes and positions, body drift, native/arterial/portal/delayed "
                 f"phase; {ntr['demo']} with the demo study's acquisition); seeds in training/configs/{cfg['id']}.json"),
        "training": (f"3D U-Net {tr['channels']} ({'strided-conv encoder, ' if downsample == 'conv' else ''}resize + conv decoder"
                     f"{', instance norm' if norm_kind == 'instance' else ''}), {tr['patch']} patches at {spacing} mm, "
                     f"{fg_note}batch {tr['batch']}, AdamW lr {tr['learningRate']} poly, Dice + cross-entropy, "
                     f"{best['epoch']} of {len(history)} epochs x {tr['iterationsPerEpoch']} iterations (best validation Dice), "
                     f"seed {tr['seed']}, torch {torch.__version__}, {time.time() - t0:.0f} s on CPU"),
        "validation": {"cases": len(val), "epoch": best["epoch"],
                       "dice": {n: round(float(d), 4) for n, d in zip(names, per_class)}},
        "largestComponent": largest,
    }
    manifest = write_manifest(cfg, out, norm, info)
    (out / "training-log.json").write_text(json.dumps({"config": cfg, "history": history, "ops": ops,
                                                       "seconds": round(time.time() - t0)}, indent=1) + "\n")
    log(f"wrote {out / 'model.onnx'} ({(out / 'model.onnx').stat().st_size / 1e6:.2f} MB; ops {', '.join(ops)}) "
        f"and manifest.json: best epoch {best['epoch']}, validation Dice {float(np.nanmean(per_class)):.4f}, {time.time() - t0:.0f} s")
    return manifest


if __name__ == "__main__":
    main()
