/** Follows an element's width, which charts need since uPlot draws at a fixed pixel size. */

/** Calls `set` with the element's width once observed and whenever it changes; returns the cleanup. */
export function observeWidth(
  element: HTMLElement | null,
  set: (width: number) => void,
): (() => void) | undefined {
  if (element === null) return undefined;
  // A ResizeObserver reports the size it finds when observing starts, so the first width comes too.
  const observer = new ResizeObserver(([entry]) => {
    if (entry !== undefined) set(Math.floor(entry.contentRect.width));
  });
  observer.observe(element);
  return () => observer.disconnect();
}
