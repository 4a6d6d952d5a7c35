/** Loss over steps as inline SVG: no chart library for one polyline. */
import type { LossPoint } from '../hooks/use-job-updates.js';
import { formatLoss } from '../lib/format.js';

const W = 600;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

export function LossChart({ points, totalSteps }: { points: LossPoint[]; totalSteps?: number }) {
  if (points.length === 0) return <p className="empty">No loss reported yet.</p>;
  const maxStep = Math.max(totalSteps ?? 0, ...points.map((p) => p.step), 1);
  const losses = points.map((p) => p.loss);
  let lo = Math.min(...losses);
  let hi = Math.max(...losses);
  if (hi - lo < 1e-9) {
    lo -= 0.05;
    hi += 0.05;
  }
  const x = (step: number) => PAD.left + (step / maxStep) * (W - PAD.left - PAD.right);
  const y = (loss: number) => PAD.top + (1 - (loss - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const path = points.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ');
  const last = points[points.length - 1]!;
  const ticks = [lo, (lo + hi) / 2, hi];
  return (
    <svg className="loss-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Loss over ${points.length} points, latest ${formatLoss(last.loss)} at step ${last.step}`}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
          <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end">
            {formatLoss(t)}
          </text>
        </g>
      ))}
      <text x={PAD.left} y={H - 8}>0</text>
      <text x={W - PAD.right} y={H - 8} textAnchor="end">
        step {maxStep}
      </text>
      <polyline points={path} className="line" />
      <circle cx={x(last.step)} cy={y(last.loss)} r={4} className="dot" />
    </svg>
  );
}
