// The one place alert messages build a link to the dashboard's page of a target. The dashboard
// serves that page at /targets/:namespace/:name (a path, not a #fragment, so links survive chat
// clients that strip fragments and can be opened directly).
import type { TargetRef } from '../signals/signal-snapshot.ts';

/** `${base}/targets/<namespace>/<name>`, each part URL-encoded; base is `http.publicUrl`. */
export function dashboardTargetUrl(base: string, ref: TargetRef): string {
  return `${base.replace(/\/+$/, '')}/targets/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
}
