/**
 * A list that renders only the rows near the viewport once it is long (the Jobs page pages
 * through up to 100k jobs). Rows have one fixed height, so a row's place is its index × the
 * stride and no row needs measuring. The page scrolls as a whole; the list sits in it. Below
 * `above` items every row is rendered as usual.
 *
 * The rendered rows keep their roles and names (a `<ul>` of `<li>`), and carry aria-setsize and
 * aria-posinset so assistive technology still hears "row 512 of 4000".
 */
import { useEffect, useLayoutEffect, useRef, useState, type Key, type ReactNode } from 'react';

interface Props<T> {
  items: readonly T[];
  itemKey: (item: T) => Key;
  render: (item: T) => ReactNode;
  className: string;
  /** Pixel height of a row in the windowed list, and the gap between rows. */
  rowHeight: number;
  gap: number;
  /** Window the list only when it holds more items than this. */
  above?: number;
  /** Rows rendered beyond each edge of the viewport. */
  overscan?: number;
  itemClassName?: (item: T) => string | undefined;
}

interface Range {
  start: number;
  end: number;
}

export function VirtualRows<T>(props: Props<T>) {
  const { items, above = 60 } = props;
  if (items.length <= above) {
    return (
      <ul className={props.className}>
        {items.map((item) => (
          <li key={props.itemKey(item)} className={props.itemClassName?.(item)}>
            {props.render(item)}
          </li>
        ))}
      </ul>
    );
  }
  return <Windowed {...props} />;
}

function Windowed<T>({ items, itemKey, render, className, rowHeight, gap, overscan = 6, itemClassName }: Props<T>) {
  const ref = useRef<HTMLUListElement>(null);
  const stride = rowHeight + gap;
  const [range, setRange] = useState<Range>({ start: 0, end: Math.ceil(window.innerHeight / stride) + overscan });

  const measure = useRef<() => void>(() => undefined);
  measure.current = () => {
    const el = ref.current;
    if (!el) return;
    const top = el.getBoundingClientRect().top; // negative once the list's start is scrolled past
    const start = Math.max(0, Math.floor(-top / stride) - overscan);
    const end = Math.min(items.length, Math.ceil((window.innerHeight - top) / stride) + overscan);
    setRange((r) => (r.start === start && r.end === end ? r : { start, end }));
  };

  useLayoutEffect(() => measure.current(), [items.length, stride]);
  useEffect(() => {
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        measure.current();
      });
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    window.addEventListener('resize', onScroll);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', onScroll);
      window.removeEventListener('resize', onScroll);
    };
  }, []);

  const rows: ReactNode[] = [];
  for (let i = range.start; i < Math.min(range.end, items.length); i++) {
    const item = items[i]!;
    rows.push(
      <li
        key={itemKey(item)}
        className={itemClassName?.(item)}
        aria-setsize={items.length}
        aria-posinset={i + 1}
        style={{ position: 'absolute', top: i * stride, left: 0, right: 0, height: rowHeight }}
      >
        {render(item)}
      </li>,
    );
  }
  return (
    <ul ref={ref} className={`${className} windowed`} style={{ position: 'relative', height: items.length * stride - gap }}>
      {rows}
    </ul>
  );
}
