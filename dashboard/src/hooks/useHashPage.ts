import { useEffect, useState } from 'react';

/** The page the address names after its "#" ("#fleet" → "fleet"; "" for the first page). */
export function useHashPage(): string {
  const read = () => (typeof window === 'undefined' ? '' : window.location.hash.replace(/^#\/?/, ''));
  const [page, setPage] = useState(read);
  useEffect(() => {
    const onChange = () => setPage(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}
