import { useEffect, useRef, useState, type RefObject } from 'react';

/**
 * Whether the element has come near the viewport (within `rootMargin`) at least once: it stays
 * true after. Without IntersectionObserver (old browsers, jsdom) it is true at once.
 */
export function useInView<T extends Element>(rootMargin = '200px'): [RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [seen, setSeen] = useState(false);

  useEffect(() => {
    if (seen) return undefined;
    const element = ref.current;
    if (typeof IntersectionObserver === 'undefined' || !element) {
      setSeen(true);
      return undefined;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          setSeen(true);
          observer.disconnect();
        }
      },
      { rootMargin },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [seen, rootMargin]);

  return [ref, seen];
}
