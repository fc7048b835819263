// Pure Block Kit builder (api.slack.com/block-kit): one message per notification group, saying what
// happened, the evidence with its thresholds, what the scaler did, what a person should check, and
// where to look. Kept apart from the sender so content is tested without HTTP.
import { formatDuration } from '../../config/duration.ts';
import { targetKey } from '../../signals/signal-snapshot.ts';
import { dashboardTargetUrl } from '../dashboard-link.ts';
import type { AlertNotice, NotificationGroup } from '../notify/alert-notice.ts';
import { ALERT_RULE_NAMES, type EvidenceItem, type EvidenceUnit } from '../rules/alert-rule.ts';

interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji: boolean;
}
interface Mrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}
export type SlackBlock =
  | { readonly type: 'header'; readonly text: PlainText }
  | { readonly type: 'section'; readonly text: Mrkdwn }
  | { readonly type: 'section'; readonly fields: readonly Mrkdwn[] }
  | { readonly type: 'context'; readonly elements: readonly Mrkdwn[] }
  | { readonly type: 'divider' };

/** What the sender posts: `text` is the notification preview and the fallback for clients without blocks. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Block Kit limits (api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = { blocks: 50, headerChars: 150, sectionChars: 3000, fieldChars: 2000, fieldsPerSection: 10 } as const;

/** Slack reads &, < and > as markup in mrkdwn. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A value with its unit as a person reads it: 0.32 ratio → "32%", 16000 spans/s → "16,000 spans/s". */
export function formatQuantity(value: number | string, unit: EvidenceUnit): string {
  if (typeof value === 'string') return value;
  switch (unit) {
    case 'ratio':
      return `${(value * 100).toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) >= 0.1 ? 0 : 1 })}%`;
    case 'factor':
      return `${formatNumber(value)}×`;
    case 'ms':
      return `${formatNumber(value)} ms`;
    case 'seconds':
      return `${formatNumber(value)} s`;
    case 'spans/s':
    case 'traces/s':
      return `${formatNumber(value)} ${unit}`;
    case 'traces':
    case 'replicas':
      return Math.round(value).toLocaleString('en-US');
    case 'text':
      return String(value);
  }
}

function formatEvidence(item: EvidenceItem): string {
  const threshold = item.threshold ? ` (alert ${item.threshold.comparison} ${formatQuantity(item.threshold.value, item.unit)})` : '';
  const reference = item.reference ? ` (${item.reference.label} ${formatQuantity(item.reference.value, item.unit)})` : '';
  return clip(`*${escapeMrkdwn(item.label)}*\n${escapeMrkdwn(`${formatQuantity(item.value, item.unit)}${threshold}${reference}`)}`, SLACK_LIMITS.fieldChars);
}

/** "2023-11-14 22:13 UTC": minutes are enough to find the moment on a dashboard. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "38m", "2h 5m", "45s": how long something lasted, to the minute once above one. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
}

const SEVERITY_ICON = { critical: ':red_circle:', warning: ':large_orange_circle:' } as const;

function noticeOrder(a: AlertNotice, b: AlertNotice): number {
  if (a.kind !== b.kind) return a.kind === 'firing' ? -1 : 1;
  if (a.alert.severity !== b.alert.severity) return a.alert.severity === 'critical' ? -1 : 1;
  return ALERT_RULE_NAMES.indexOf(a.alert.rule) - ALERT_RULE_NAMES.indexOf(b.alert.rule);
}

function firingBlocks(notice: Extract<AlertNotice, { kind: 'firing' }>): SlackBlock[] {
  const { alert } = notice;
  const details = alert.details;
  const since = `Since ${formatUtc(alert.activeSinceMs)}; alerted once it had held for ${formatDuration(alert.forSeconds)}.`;
  const reminder = notice.repeat ? ` Reminder: still firing after ${formatElapsed(notice.atMs - (alert.firedAtMs ?? notice.atMs))}.` : '';
  const blocks: SlackBlock[] = [
    { type: 'divider' },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`${SEVERITY_ICON[alert.severity]} *${escapeMrkdwn(alert.title)}* · ${alert.severity}\n${since}${reminder}\n${escapeMrkdwn(details.summary)}`, SLACK_LIMITS.sectionChars) },
    },
  ];
  const fields = details.evidence.map(formatEvidence);
  for (let start = 0; start < fields.length; start += SLACK_LIMITS.fieldsPerSection) {
    blocks.push({ type: 'section', fields: fields.slice(start, start + SLACK_LIMITS.fieldsPerSection).map((text) => ({ type: 'mrkdwn', text })) });
  }
  const checks = details.checks.map((check) => `• ${escapeMrkdwn(check)}`).join('\n');
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: clip(`*What the scaler did*\n${escapeMrkdwn(details.scalerAction)}\n\n*What to check*\n${checks}`, SLACK_LIMITS.sectionChars) },
  });
  return blocks;
}

function resolvedBlocks(notice: Extract<AlertNotice, { kind: 'resolved' }>): SlackBlock[] {
  const { alert } = notice;
  const firedAtMs = alert.firedAtMs ?? alert.activeSinceMs;
  return [
    { type: 'divider' },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `:white_check_mark: *Resolved: ${escapeMrkdwn(alert.title)}* · was ${alert.severity}\nFired ${formatUtc(firedAtMs)}, resolved ${formatUtc(notice.atMs)} (${formatElapsed(notice.atMs - firedAtMs)}).\n*Now:* ${escapeMrkdwn(notice.currentAction)}`,
          SLACK_LIMITS.sectionChars,
        ),
      },
    },
  ];
}

function headline(group: NotificationGroup): { icon: string; words: string } {
  const firing = group.notices.filter((notice) => notice.kind === 'firing');
  const resolved = group.notices.length - firing.length;
  const alerts = (count: number) => `${count} ${count === 1 ? 'alert' : 'alerts'}`;
  const words =
    firing.length === 0 ? `${alerts(resolved)} resolved` : resolved === 0 ? `${alerts(firing.length)} firing` : `${alerts(firing.length)} firing, ${resolved} resolved`;
  const icon = firing.some((notice) => notice.alert.severity === 'critical') ? ':rotating_light:' : firing.length > 0 ? ':warning:' : ':white_check_mark:';
  return { icon, words };
}

/** The Slack message for one group; `dashboardBaseUrl` is `http.publicUrl` (no link without it). */
export function buildSlackMessage(group: NotificationGroup, options: { readonly dashboardBaseUrl: string | undefined }): SlackMessage {
  const target = targetKey(group.target);
  const notices = [...group.notices].sort(noticeOrder);
  const advisory = notices.some((notice) => notice.alert.advisory);
  const { icon, words } = headline(group);
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: clip(`${icon} ${target}: ${words}`, SLACK_LIMITS.headerChars), emoji: true } }];
  if (advisory) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: ':information_source: *Advisory target* (dry-run or advisory): the scaler only recommends here; KEDA does not act on it.' }],
    });
  }
  const footer: SlackBlock[] = [
    { type: 'divider' },
    options.dashboardBaseUrl
      ? { type: 'section', text: { type: 'mrkdwn', text: `:bar_chart: <${dashboardTargetUrl(options.dashboardBaseUrl, group.target)}|Open ${target} in the scaler dashboard>` } }
      : { type: 'context', elements: [{ type: 'mrkdwn', text: 'No dashboard link: set `http.publicUrl` in the scaler config.' }] },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(`otel-gateway-scaler · ${target} · rules: ${notices.map((notice) => notice.alert.rule).join(', ')}`, SLACK_LIMITS.sectionChars) }] },
  ];
  let shown = 0;
  for (const notice of notices) {
    const noticeBlocks = notice.kind === 'firing' ? firingBlocks(notice) : resolvedBlocks(notice);
    // Leave room for the footer and the "more" line.
    if (blocks.length + noticeBlocks.length + footer.length + 1 > SLACK_LIMITS.blocks) break;
    blocks.push(...noticeBlocks);
    shown++;
  }
  if (shown < notices.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${notices.length - shown} more; see the dashboard.` }] });
  }
  blocks.push(...footer);
  const summary = notices.map((notice) => `${notice.kind === 'firing' ? (notice.repeat ? 'still firing' : 'firing') : 'resolved'}: ${notice.alert.title} (${notice.alert.severity})`).join('; ');
  return { text: `${advisory ? '[advisory] ' : ''}${target}: ${summary}`, blocks };
}
