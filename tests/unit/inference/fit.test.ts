/**
 * Models matched to the study (src/inference/fit.ts): facts measured on real CT and MR studies
 * (modality inferred when the file has none, body region from the body's size and, on CT, its
 * lungs), how the bundled models rank on each, and the refusal of 2-D images and 4-D series.
 * Independent references: TotalSegmentator's lung labels on the same CT grids, published adult
 * head sizes, and what each reference file is (README of the reference data).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import type { Vec3, Volume, VolumeMetadata } from '../../../src/core/types';
import { listFiles } from '../../../src/cli/node-files';
import { loadSeries, scanFiles } from '../../../src/io/dicom/index';
import { parseNifti } from '../../../src/io/nifti/index';
import {
  bodyPartRegions,
  checkRunnable,
  modelFit,
  rankModels,
  studyFacts,
  type StudyFacts,
} from '../../../src/inference/fit';
import { parseManifestText, type ModelManifest } from '../../../src/inference/manifest';
import { generatePhantom } from '../../../src/phantom/index';
import { createVolume } from '../../../src/volume/volume';
import { describeShared, hasShared, repoRoot, sharedPath } from '../helpers/shared';

/** The bundled catalogue, in its own order. */
const bundled: ModelManifest[] = (
  JSON.parse(readFileSync(join(repoRoot, 'static/models/index.json'), 'utf8')) as { models: string[] }
).models.map((id) => {
  const file = join(repoRoot, 'static/models', id, 'manifest.json');
  return parseManifestText(readFileSync(file, 'utf8'), file);
});
const isBrain = (m: ModelManifest) => m.intended.bodyPart.toUpperCase() === 'HEAD';
const brain = bundled.filter(isBrain);
const ct = bundled.filter((m) => m.intended.modality.length === 1 && m.intended.modality[0] === 'CT');
const byId = (id: string) => bundled.find((m) => m.id === id)!;

const nifti = (rel: string): Volume => parseNifti(readFileSync(sharedPath(rel)), rel).volume;
const ranked = (f: StudyFacts) => rankModels(bundled, f, (m) => m);

/** An ellipsoid "body" of radii `r` (mm) centred in a grid of `dims` x `spacing`: `inside` inside, `outside` around. */
function ellipsoid(
  dims: Vec3,
  spacing: Vec3,
  r: Vec3,
  inside: number,
  outside: number,
  metadata: VolumeMetadata = {},
): Volume {
  const voxels = new Int16Array(dims[0] * dims[1] * dims[2]);
  const c = dims.map((d, a) => ((d - 1) * spacing[a]) / 2);
  for (let k = 0, o = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, o++) {
        const x = (i * spacing[0] - c[0]) / r[0];
        const y = (j * spacing[1] - c[1]) / r[1];
        const z = (k * spacing[2] - c[2]) / r[2];
        voxels[o] = x * x + y * y + z * z <= 1 ? inside : outside;
      }
  return createVolume({ dims, spacing, voxels, metadata });
}

describe('body part words', () => {
  it('normalizes manifest and DICOM body parts to regions', () => {
    expect(bodyPartRegions('HEAD')).toEqual(['head']);
    expect(bodyPartRegions('brain')).toEqual(['head']);
    expect(bodyPartRegions('abdomen (synthetic phantom)')).toEqual(['abdomen']);
    expect(bodyPartRegions('any')).toBe('any');
    expect(bodyPartRegions('whole body')).toEqual(['head', 'neck', 'chest', 'abdomen', 'pelvis', 'limb']);
    expect(bodyPartRegions('see the model source')).toEqual([]);
    expect(bodyPartRegions('CHESTABDOMEN')).toEqual(['chest', 'abdomen']);
    expect(bodyPartRegions('ABDOMENPELVIS')).toEqual(['abdomen', 'pelvis']);
    expect(bodyPartRegions('KNEE')).toEqual(['limb']);
    expect(bodyPartRegions('Demo phantom CT')).toEqual([]);
  });
});

describe('study facts and fit on generated studies', () => {
  it('the demo phantom (what the app opens first): an abdominal CT; the abdominal model first, brain models flagged', () => {
    const { ct: demo } = generatePhantom({ seed: 1 });
    const f = studyFacts(demo);
    expect(f.modality).toMatchObject({ value: 'CT', inferred: false });
    expect(f.region).toMatchObject({ regions: ['abdomen'], source: 'field-of-view' });
    const order = ranked(f);
    expect(order[0].item.id).toBe('abdomen-phantom');
    expect(order[1].item.id).toBe('ct-tissue-bands');
    expect(order.slice(0, ct.length).every((r) => r.fit.fits)).toBe(true);
    for (const r of order.filter((x) => isBrain(x.item))) {
      expect(r.fit.fits, r.item.id).toBe(false);
      expect(r.fit.blocked).toBe(false);
    }
    const tissue = modelFit(byId('brainchop-tissue'), f);
    expect(tissue.summary).toBe('Expects a T1 brain MRI; this looks like an abdominal CT.');
    expect(tissue.reasons.join(' ')).toMatch(
      /This model is for MRI; the study is a CT\. This model is for the head; the study seems to show the abdomen \(a body \d+ mm wide/,
    );
    // the multi-modality skull strip takes CT, but not of the abdomen
    const strip = modelFit(byId('brainchop-brain-extraction'), f);
    expect(strip.fits).toBe(false);
    expect(strip.summary).toBe('Expects a head MRI, CT or PET; this looks like an abdominal CT.');
    expect(strip.reasons).toHaveLength(1);
  });

  it('tells a head-sized MR from a small round part and from a trunk, by the body size', () => {
    // Adult head: about 150 mm wide, 190 mm front to back, 180 mm high (LPS grid: i = L-R, j = A-P).
    const head = studyFacts(ellipsoid([128, 128, 100], [2, 2, 2], [75, 95, 90], 400, 0));
    expect(head.modality).toMatchObject({ value: 'MR', inferred: true, confidence: 'medium' });
    expect(head.region.regions).toEqual(['head']);
    // the body box is trimmed by 0.5% of the body at each end: a few mm off an ellipsoid's caps
    expect(head.bodyMm![0]).toBeGreaterThan(135);
    expect(head.bodyMm![0]).toBeLessThanOrEqual(150);
    expect(head.bodyMm![1]).toBeGreaterThan(175);
    expect(head.bodyMm![1]).toBeLessThanOrEqual(190);
    const top = ranked(head).slice(0, brain.length);
    expect(top.map((r) => r.item.id).sort()).toEqual(brain.map((m) => m.id).sort());
    expect(top.every((r) => r.fit.fits)).toBe(true);
    expect(modelFit(byId('abdomen-phantom'), head).summary).toBe(
      'Expects an abdominal CT; this looks like a brain MRI.',
    );

    // A knee-sized round part is not a head.
    const knee = studyFacts(ellipsoid([100, 100, 80], [1.5, 1.5, 2], [60, 58, 70], 400, 0));
    expect(knee.region.regions).toEqual([]);
    expect(knee.region.why).toMatch(/not shaped like a head/);
    // A trunk-sized MR: the trunk (an MR's lungs are not measured).
    const trunk = studyFacts(ellipsoid([120, 90, 40], [3, 3, 5], [170, 120, 200], 300, 0));
    expect(trunk.region.regions).toEqual(['chest', 'abdomen', 'pelvis']);
    for (const m of brain) expect(modelFit(m, trunk).fits).toBe(false);
  });

  it('a body cut off by a narrow image has an unknown size; a wide one is still a trunk', () => {
    const narrow = studyFacts(ellipsoid([90, 90, 60], [2, 2, 2], [150, 80, 200], 40, -1000));
    expect(narrow.modality).toMatchObject({ value: 'CT', inferred: true, confidence: 'high' });
    expect(narrow.region.regions).toEqual([]);
    expect(narrow.region.why).toMatch(/cuts off the body at its side/);
    expect(modelFit(byId('abdomen-phantom'), narrow).reasons).toEqual([
      expect.stringMatching(/^The body part could not be told/),
    ]);
    const wide = studyFacts(ellipsoid([140, 90, 60], [2, 2, 2], [200, 110, 200], 40, -1000));
    expect(wide.region.regions).toEqual(['abdomen']);
  });

  it('counts lungs enclosed by the body, not foam or blankets around it', () => {
    const dims: Vec3 = [120, 100, 40];
    const sp: Vec3 = [3, 3, 5];
    const make = (lungs: boolean) => {
      const v = ellipsoid(dims, sp, [160, 110, 400], 40, -1000);
      const voxels = v.voxels as Int16Array;
      for (let k = 0, o = 0; k < dims[2]; k++)
        for (let j = 0; j < dims[1]; j++)
          for (let i = 0; i < dims[0]; i++, o++) {
            const x = i * sp[0] - 178.5;
            const y = j * sp[1] - 148.5;
            const e = (x / 160) ** 2 + (y / 110) ** 2;
            if (e > 1 && e < 1.5) voxels[o] = -800; // a foam pad around the body
            if (lungs && ((x - 70) / 50) ** 2 + (y / 70) ** 2 < 1) voxels[o] = -850;
            if (lungs && ((x + 70) / 50) ** 2 + (y / 70) ** 2 < 1) voxels[o] = -850;
          }
      return studyFacts(createVolume({ dims, spacing: sp, voxels, metadata: { modality: 'CT' } }));
    };
    const abdomen = make(false);
    expect(abdomen.lungSections).toBe(0);
    expect(abdomen.region.regions).toEqual(['abdomen']);
    const chest = make(true);
    expect(chest.lungSections).toBe(1);
    expect(chest.region.regions).toEqual(['chest']);
    expect(describeRegion(chest)).toBe('a chest CT');
    // An abdominal model on a chest CT: a caution (a chest CT holds the upper abdomen), not a misfit.
    const fit = modelFit(byId('abdomen-phantom'), chest);
    expect(fit.fits).toBe(true);
    expect(fit.reasons[0]).toMatch(/^This model is for the abdomen; the study seems to show the chest/);
    expect(fit.score).toBeLessThan(modelFit(byId('abdomen-phantom'), abdomen).score);
  });

  it('takes the body part from DICOM BodyPartExamined or the description before the body size', () => {
    const v = ellipsoid([64, 64, 40], [5, 5, 5], [140, 100, 200], 40, -1000, {
      modality: 'CT',
      bodyPartExamined: 'HEAD',
    } as VolumeMetadata);
    expect(studyFacts(v).region).toMatchObject({ regions: ['head'], source: 'dicom' });
    const w = ellipsoid([64, 64, 40], [5, 5, 5], [140, 100, 200], 40, -1000, {
      modality: 'CT',
      seriesDescription: 'CT ABDOMEN PELVIS W/O',
    });
    const f = studyFacts(w);
    expect(f.region).toMatchObject({ regions: ['abdomen', 'pelvis'], source: 'description' });
    expect(modelFit(byId('abdomen-phantom'), f).summary).toBe(
      'For an abdominal CT; this is a CT of the abdomen and pelvis.',
    );
  });

  it('cautions on thick slices relative to the model grid, and on a T2 series for a T1 model', () => {
    const thick = studyFacts(
      ellipsoid([128, 128, 36], [1.2, 1.2, 5], [75, 95, 80], 400, 0, {
        modality: 'MR',
        seriesDescription: 'AX T2 FLAIR',
      }),
    );
    const fit = modelFit(byId('brainchop-tissue'), thick);
    expect(fit.fits).toBe(true);
    expect(fit.reasons).toEqual([
      'This model was trained on T1-weighted images; the series is described as "AX T2 FLAIR".',
      'Voxels are 5 mm apart along one axis, much coarser than the 1 mm the model works at: detail between slices is guessed.',
    ]);
    // The skull strip takes any contrast: no sequence caution.
    expect(modelFit(byId('brainchop-brain-extraction'), thick).reasons).toHaveLength(1);
    // 5 mm slices are fine for a model that works at 3 mm.
    const coarse = { ...byId('abdomen-phantom'), intended: { modality: ['MR'], bodyPart: 'HEAD' } } as ModelManifest;
    expect(modelFit(coarse, thick).reasons.some((r) => /apart/.test(r))).toBe(false);
  });

  it('a low-confidence modality guess is a caution, not a misfit', () => {
    const voxels = new Float32Array(64 * 64 * 40).map((_, n) => (n % 7) * 0.37);
    const f = studyFacts(createVolume({ dims: [64, 64, 40], spacing: [4, 4, 4], voxels }));
    expect(f.modality).toMatchObject({ value: 'MR', confidence: 'low' });
    const fit = modelFit(byId('ct-tissue-bands'), f);
    expect(fit.fits).toBe(true);
    expect(fit.reasons[0]).toMatch(/^This model is for CT; the study may be an MRI \(inferred from intensities/);
  });

  it('refuses a 2-D image and a 4-D series, naming the file; a model never fits them', () => {
    const slice = createVolume({
      dims: [64, 64, 1],
      spacing: [0.7, 0.7, 5],
      voxels: new Int16Array(64 * 64).fill(-1000),
      metadata: { modality: 'CT' },
    });
    const f = studyFacts(slice);
    expect(f.is2D).toBe(true);
    expect(() => checkRunnable(f, 'scan.dcm')).toThrow(VoxsegError);
    expect(() => checkRunnable(f, 'scan.dcm')).toThrow(
      'scan.dcm: it is a 2-D image (64 x 64 x 1: one slice); the models segment 3-D volumes, so use the whole series',
    );
    const fit = modelFit(byId('ct-tissue-bands'), f);
    expect(fit).toMatchObject({ fits: false, blocked: true });
    expect(fit.reasons[0]).toMatch(/^This is a 2-D image/);

    const series = studyFacts(ellipsoid([32, 32, 32], [4, 4, 4], [60, 60, 60], 300, 0), { volumes: 120 });
    expect(series.volumes).toBe(120);
    try {
      checkRunnable(series, 'bold.nii.gz');
      expect.unreachable('a 4-D series must be refused');
    } catch (e) {
      expect(e).toBeInstanceOf(VoxsegError);
      expect((e as VoxsegError).file).toBe('bold.nii.gz');
      expect((e as VoxsegError).message).toMatch(
        /^bold\.nii\.gz: it is a 4-D series \(120 volumes; only the first was loaded\)/,
      );
    }
    // The loader may carry the count as metadata (read when present).
    expect(
      studyFacts(ellipsoid([32, 32, 32], [4, 4, 4], [60, 60, 60], 300, 0, { sourceVolumes: 3 } as VolumeMetadata))
        .volumes,
    ).toBe(3);
    expect(() => checkRunnable(studyFacts(ellipsoid([32, 32, 32], [4, 4, 4], [60, 60, 60], 300, 0)))).not.toThrow();
  });

  it('says so when neither the modality nor the body part can be told', () => {
    // signed values within ±300 (neither HU with air nor MR-like); the "body" fills the narrow image
    const voxels = new Int16Array(40 * 40 * 40).map((_, n) => ((n * 7919) % 601) - 300);
    const f = studyFacts(createVolume({ dims: [40, 40, 40], spacing: [2, 2, 2], voxels }));
    expect(f.modality.value).toBeNull();
    expect(f.region.regions).toEqual([]);
    const fit = modelFit(byId('abdomen-phantom'), f);
    expect(fit.fits).toBe(true);
    expect(fit.summary).toBe('For an abdominal CT; the modality and body part of this study are unknown.');
    expect(fit.reasons[0]).toMatch(
      /^The study's modality is unknown \(not recorded, and the intensities look like neither/,
    );
    expect(fit.reasons[1]).toMatch(/^The body part could not be told/);
    expect(fit.score).toBe(0);
  });

  it('ranks stably: fitting first, by score, equal ones in the given order', () => {
    const f = studyFacts(ellipsoid([128, 128, 100], [2, 2, 2], [75, 95, 90], 400, 0));
    const order = rankModels([...bundled].reverse(), f, (m) => m).map((r) => r.item.id);
    const again = rankModels([...bundled].reverse(), f, (m) => m).map((r) => r.item.id);
    expect(again).toEqual(order);
    // the six T1 brain models score the same: they keep the (reversed) catalogue order
    const t1 = [...bundled]
      .reverse()
      .filter((m) => isBrain(m) && m.intended.modality.length === 1)
      .map((m) => m.id);
    expect(order.filter((id) => t1.includes(id))).toEqual(t1);
    expect(order.slice(-2).sort()).toEqual(['abdomen-phantom', 'ct-tissue-bands']);
  });
});

function describeRegion(f: StudyFacts): string {
  return modelFit(byId('ct-tissue-bands'), f).study;
}

describeShared('nifti/ct/example_ct.nii.gz', 'fit on a real abdominal CT (NIfTI, no modality recorded)', () => {
  it('infers CT from the intensities, the abdomen from the size and lungs; CT models first, brain models flagged', () => {
    const t0 = performance.now();
    const f = studyFacts(nifti('nifti/ct/example_ct.nii.gz'));
    console.log(`studyFacts on example_ct (122x101x112): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(f.modality).toMatchObject({ value: 'CT', inferred: true, confidence: 'high' });
    expect(f.modality.why).toMatch(/^inferred from intensities/);
    expect(f.region.regions).toEqual(['abdomen']);
    // an adult trunk: 280-450 mm across
    expect(f.bodyMm![0]).toBeGreaterThan(280);
    expect(f.bodyMm![0]).toBeLessThan(450);
    const order = ranked(f);
    expect(order.slice(0, ct.length).map((r) => r.item.id)).toEqual(['abdomen-phantom', 'ct-tissue-bands']);
    for (const r of order.slice(ct.length)) {
      expect(r.fit.fits, r.item.id).toBe(false);
      expect(r.fit.reasons.length).toBeGreaterThan(0);
    }
    expect(modelFit(byId('brainchop-parcellation-50'), f).summary).toBe(
      'Expects a T1 brain MRI; this looks like an abdominal CT.',
    );
  });

  const seg = 'labels/totalsegmentator/example_seg.nii.gz';
  it.skipIf(!hasShared(seg))(
    'finds lungs in as many cross-sections as TotalSegmentator labels them (example_ct_sm)',
    () => {
      const ctSm = nifti('nifti/ct/example_ct_sm.nii.gz');
      const labels = nifti(seg);
      const [nx, ny, nz] = ctSm.header.dims;
      // reference: sections where TotalSegmentator's lung lobes (10-14) are >= 10% of the body (> -500 HU)
      let sections = 0;
      let chest = 0;
      for (let k = 0; k < nz; k++) {
        let body = 0;
        let lung = 0;
        for (let o = k * nx * ny; o < (k + 1) * nx * ny; o++) {
          if (ctSm.voxels[o] > -500) body++;
          if (labels.voxels[o] >= 10 && labels.voxels[o] <= 14) lung++;
        }
        if (body === 0) continue;
        sections++;
        if (lung >= 0.1 * body) chest++;
      }
      const f = studyFacts(ctSm);
      expect(chest).toBeGreaterThan(0);
      expect(Math.abs(f.lungSections! * sections - chest)).toBeLessThanOrEqual(1);
      expect(f.region.regions).toEqual(['abdomen']);
    },
  );
});

describeShared('nifti/mr/t1_crop.nii.gz', 'fit on real brain MRIs (NIfTI)', () => {
  it('t1_crop: an MR by its intensities, a head by its size; the brain models come first', () => {
    const f = studyFacts(nifti('nifti/mr/t1_crop.nii.gz'));
    expect(f.modality).toMatchObject({ value: 'MR', inferred: true, confidence: 'medium' });
    expect(f.region.regions).toEqual(['head']);
    // adult head: 140-170 mm wide, 170-215 mm front to back (nose included)
    expect(f.bodyMm![0]).toBeGreaterThan(140);
    expect(f.bodyMm![0]).toBeLessThan(170);
    expect(f.bodyMm![1]).toBeGreaterThan(170);
    expect(f.bodyMm![1]).toBeLessThan(215);
    const order = ranked(f);
    expect(
      order
        .slice(0, brain.length)
        .map((r) => r.item.id)
        .sort(),
    ).toEqual(brain.map((m) => m.id).sort());
    expect(order.slice(0, brain.length).every((r) => r.fit.fits && r.fit.reasons.length === 0)).toBe(true);
    const bands = modelFit(byId('ct-tissue-bands'), f);
    expect(bands.fits).toBe(false);
    expect(bands.summary).toBe('Expects a CT of any body part; this looks like a brain MRI.');
    expect(bands.reasons[0]).toMatch(
      /^This model is for CT; the study looks like an MRI \(inferred from intensities: non-negative integer values/,
    );
  });

  it.skipIf(!hasShared('nifti/mr/bet.nii.gz'))('bet: a skull-stripped brain is a head too', () => {
    const f = studyFacts(nifti('nifti/mr/bet.nii.gz'));
    expect(f.modality.value).toBe('MR');
    expect(f.region.regions).toEqual(['head']);
    expect(ranked(f)[0].item.intended.bodyPart).toBe('HEAD');
  });
});

describeShared('nifti/mr/example_mr_sm.nii.gz', 'fit on a real abdominal MR (NIfTI)', () => {
  it('an MR despite noise below zero; the trunk; neither brain nor CT models fit', () => {
    const f = studyFacts(nifti('nifti/mr/example_mr_sm.nii.gz'));
    expect(f.modality).toMatchObject({ value: 'MR', inferred: true });
    expect(f.modality.why).toMatch(/essentially non-negative/);
    expect(f.region.regions).toEqual(['chest', 'abdomen', 'pelvis']);
    for (const m of bundled) expect(modelFit(m, f).fits, m.id).toBe(false);
    expect(modelFit(byId('brainchop-tissue'), f).summary).toBe(
      'Expects a T1 brain MRI; this looks like an MRI of the trunk.',
    );
  });
});

describeShared('dicom/ct-abdomen-j2k', 'fit on a real abdominal CT (DICOM)', () => {
  it('CT from DICOM, the abdomen (the foam pad around the body is not lung), a caution for its 40 mm coverage', async () => {
    const scan = await scanFiles(await listFiles([sharedPath('dicom/ct-abdomen-j2k')]));
    const { volume } = await loadSeries(scan.series[0]);
    const f = studyFacts(volume);
    expect(f.modality).toEqual({ value: 'CT', inferred: false, confidence: 'high', why: 'DICOM Modality' });
    // TotalSegmentator labels no lung on this series (labels/totalsegmentator/example_seg_dicom.nii.gz)
    expect(f.lungSections).toBe(0);
    expect(f.region.regions).toEqual(['abdomen']);
    const fit = modelFit(byId('abdomen-phantom'), f);
    expect(fit.fits).toBe(true);
    expect(fit.reasons).toEqual([
      'The study covers only 40 mm along one axis: a 3-D model sees little context there, so expect poorer results.',
    ]);
    expect(modelFit(byId('brainchop-tissue-light'), f).summary).toBe(
      'Expects a T1 brain MRI; this looks like an abdominal CT.',
    );
  });
});
