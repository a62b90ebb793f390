/**
 * Colour of each 2D view: its crosshair line in the other views, and its title in the app.
 * Pure (no Cornerstone import) so the app can use it without loading the viewer.
 */
export const VIEW_COLORS = {
  axial: 'rgb(230, 80, 80)',
  sagittal: 'rgb(240, 200, 60)',
  coronal: 'rgb(80, 200, 110)',
} as const;
