"""
Largest-component cleanup chosen on validation (nnU-Net's "remove all but the largest component"):
a label gets it when keeping only its largest face-connected island raises its validation Dice.
voxseg applies the same cleanup on the model grid (manifest postprocessing.largestComponent).
"""
import numpy as np
from scipy import ndimage

from .loss import dice_per_class


def keep_largest(pred, value):
    """`pred` with every face-connected island of `value` but the largest set to 0."""
    islands, count = ndimage.label(pred == value)  # default structure: face neighbours
    if count < 2:
        return pred
    keep = 1 + int(np.argmax(np.bincount(islands.ravel())[1:]))
    out = pred.copy()
    out[(islands > 0) & (islands != keep)] = 0
    return out


def choose_largest_component(preds, truths, classes):
    """(label values that gain from the cleanup, per-class validation Dice with it applied)."""
    def mean_dice(ps):
        return np.nanmean(np.array([dice_per_class(p, t, classes) for p, t in zip(ps, truths)]), 0)

    before = mean_dice(preds)
    chosen = []
    for c in range(1, classes):
        after = mean_dice([keep_largest(p, c) for p in preds])
        if after[c - 1] > before[c - 1] + 1e-4:
            chosen.append(c)
    for c in chosen:
        preds = [keep_largest(p, c) for p in preds]
    return chosen, mean_dice(preds)
