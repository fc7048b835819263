// The one place alert messages build a link to the dashboard's page of a target. The dashboard is a
// single page with a hash router: the server serves the page at `/` only, and the page shows a target
// for the fragment #/targets/:namespace/:name (a path such as /targets/… would answer 404).
import type { TargetRef } from '../signals/signal-snapshot.ts';

/** `${base}/#/targets/<namespace>/<name>`, each part URL-encoded; base is `http.publicUrl`. */
export function dashboardTargetUrl(base: string, ref: TargetRef): string {
  return `${base.replace(/\/+$/, '')}/#/targets/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
}
