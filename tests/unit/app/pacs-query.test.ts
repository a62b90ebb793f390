/** The study browser's query building, paging and series/SEG grouping. */
import { describe, expect, it } from 'vitest';
import type { SeriesSummary, StoredSeg } from '../../../src/io/dicomweb/types';
import { dicomDate, EMPTY_FORM, pageOf, retrieveStage, seriesWithSegs, studyQuery } from '../../../src/app/pacs/query';

describe('study query', () => {
  it('leaves empty fields out and asks for one more study than a page', () => {
    expect(studyQuery(EMPTY_FORM, 0, 10)).toEqual({ limit: 11, offset: 0 });
    expect(studyQuery(EMPTY_FORM, 3, 10)).toEqual({ limit: 11, offset: 30 });
  });

  it('matches names from their start, descriptions anywhere, the rest exactly', () => {
    const q = studyQuery({
      patientName: ' Doe ',
      patientId: 'P-1',
      dateFrom: '2024-01-02',
      dateTo: '2024-12-31',
      modality: 'ct',
      accessionNumber: 'A7',
      description: 'abdomen',
    });
    expect(q).toMatchObject({
      patientName: 'Doe*',
      patientId: 'P-1',
      dateFrom: '20240102',
      dateTo: '20241231',
      modality: 'CT',
      accessionNumber: 'A7',
      description: '*abdomen*',
    });
    expect(studyQuery({ ...EMPTY_FORM, patientName: 'D?e^J*', description: 'CT*' })).toMatchObject({
      patientName: 'D?e^J*',
      description: 'CT*',
    });
  });

  it('refuses bad dates and a range that ends before it starts', () => {
    expect(dicomDate('20240105', 'From')).toBe('20240105');
    expect(() => dicomDate('5 Jan', 'From')).toThrow(/From "5 Jan" is not a date/);
    expect(() => studyQuery({ ...EMPTY_FORM, dateFrom: '2024-02-01', dateTo: '2024-01-01' })).toThrow(/ends before/);
    expect(studyQuery({ ...EMPTY_FORM, dateTo: '2024-01-01' })).toMatchObject({ dateTo: '20240101' });
  });

  it('pages: the extra study says there is a next page', () => {
    expect(pageOf([1, 2, 3], 2)).toEqual({ items: [1, 2], hasNext: true });
    expect(pageOf([1, 2], 2)).toEqual({ items: [1, 2], hasNext: false });
  });

  it('progress line with instances and bytes', () => {
    expect(retrieveStage('CT', 'Orthanc', { instances: 12, totalInstances: 20, bytes: 3.5 * 2 ** 20 })).toBe(
      'Retrieving CT from Orthanc: 12 of 20 instances, 3.5 MB',
    );
  });
});

describe('series with their stored SEGs', () => {
  const series = (uid: string, modality: string, n?: number): SeriesSummary => ({
    studyInstanceUid: 'st',
    seriesInstanceUid: uid,
    modality,
    description: uid,
    seriesNumber: n,
  });
  const seg = (uid: string, refs: string[]): StoredSeg => ({
    studyInstanceUid: 'st',
    seriesInstanceUid: `${uid}-series`,
    sopInstanceUid: uid,
    description: uid,
    referencedSeriesUids: refs,
  });

  it('lists image series by number, SEGs under what they reference, the rest apart', () => {
    const { rows, unlinked } = seriesWithSegs(
      [series('b', 'CT', 2), series('segs', 'SEG', 100), series('a', 'CT', 1), series('c', 'MR')],
      [seg('g1', ['a']), seg('g2', ['a', 'c']), seg('g3', ['zzz'])],
    );
    expect(rows.map((r) => [r.series.seriesInstanceUid, r.segs.map((g) => g.sopInstanceUid)])).toEqual([
      ['a', ['g1', 'g2']],
      ['b', []],
      ['c', ['g2']],
    ]);
    expect(unlinked.map((g) => g.sopInstanceUid)).toEqual(['g3']);
  });
});
