import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { WagateClient } from '../src/api/client';
import type { Message, MessageMedia } from '../src/api/types';
import { MediaLinks } from '../src/hooks/useMediaLink';
import {
  describeMissingFile,
  formatCoordinates,
  formatFileSize,
  isLinkFresh,
  LINK_REFRESH_AFTER_MS,
  openStreetMapUrl,
} from '../src/media';
import { App } from '../src/App';
import { API_URL, CHATBOT_ID, FakeWagateApi, FILES_URL, TOKEN } from './fakeApi';
import { nextPoll, pass, POLL_MS, startApp } from './harness';

const MINUTE = 60_000;

function media(patch: Partial<MessageMedia> = {}): MessageMedia {
  return { mime: 'image/jpeg', size: 123_456, sha256: 'ab'.repeat(32), filename: 'photo.jpg', ...patch };
}

/** Starts the app with a connected session holding these messages (oldest first). */
function startWith(...patches: Partial<Message>[]) {
  const ids: string[] = [];
  const app = startApp({
    prepare: (a) => {
      const s = a.connect(a.addSession().id, '15550001111');
      patches.forEach((patch, i) => {
        ids.push(a.addMessage(s.id, { timestamp: new Date(Date.UTC(2026, 10, 25, 10, 0, i)).toISOString(), ...patch }).id);
      });
    },
  });
  return { ...app, ids };
}

function item(id: string) {
  const li = screen.getAllByRole('listitem').find((el) => el.getAttribute('data-message-id') === id);
  if (!li) throw new Error(`no message ${id} shown`);
  return li;
}

function mediaCalls(api: FakeWagateApi) {
  return api.callsTo('GET', /^\/api\/messages\/[^/]+\/media$/);
}

function fileUrl(id: string, n: number) {
  return `${FILES_URL}/${id}?signature=${n}`;
}

describe('media in the message history', () => {
  it('shows a photo as a lazy thumbnail named by its caption, opening full size; a sticker without one', async () => {
    const { ids } = startWith(
      { type: 'image', content: 'Our new menu', media: media() },
      { type: 'sticker', content: '', media: media({ mime: 'image/webp', filename: null }) },
    );
    await nextPoll();
    await pass(0);
    const [photoId, stickerId] = ids;
    const photo = within(item(photoId)).getByRole('img', { name: 'Our new menu' });
    expect(photo).toHaveAttribute('src', expect.stringMatching(new RegExp(`^${FILES_URL}/${photoId}\\?signature=`)));
    expect(photo).toHaveAttribute('loading', 'lazy');
    const open = within(item(photoId)).getByRole('link', { name: 'Our new menu (opens full size in a new tab)' });
    expect(open).toHaveAttribute('href', photo.getAttribute('src'));
    expect(open).toHaveAttribute('target', '_blank');
    expect(item(photoId).querySelector('.wg-message__text')).toHaveTextContent('Our new menu');

    const sticker = within(item(stickerId)).getByRole('img', { name: 'Sticker' });
    expect(sticker.getAttribute('src')).toContain(`${FILES_URL}/${stickerId}?`);
    expect(item(stickerId).querySelector('.wg-message__text')).toBeNull();
  });

  it('asks for each file once, with its path, redirect=false and the bearer token, and not again while polling', async () => {
    const { api, ids } = startWith(
      { type: 'image', content: '', media: media() },
      { type: 'document', content: '', media: media({ mime: 'application/pdf', filename: 'a.pdf' }) },
      { content: 'plain text' },
    );
    await nextPoll();
    await pass(0);
    for (let i = 0; i < 4; i += 1) await nextPoll();
    const calls = mediaCalls(api);
    expect(calls.map((call) => call.path).sort()).toEqual([ids[0], ids[1]].map((id) => `/api/messages/${id}/media`).sort());
    expect(calls.every((call) => call.query.get('redirect') === 'false')).toBe(true);
    expect(calls.every((call) => call.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(within(item(ids[0])).getByRole('img', { name: 'Photo' })).toBeInTheDocument();
  });

  it('plays voice notes and audio; a video plays and downloads', async () => {
    const { ids } = startWith(
      { type: 'ptt', content: '', media: media({ mime: 'audio/ogg; codecs=opus', filename: null, size: 9_000 }) },
      { type: 'audio', content: 'The jingle', media: media({ mime: 'audio/mpeg', filename: 'jingle.mp3' }) },
      { type: 'video', content: 'How to find us', media: media({ mime: 'video/mp4', filename: 'way.mp4', size: 2_500_000 }) },
    );
    await nextPoll();
    await pass(0);
    const [pttId, audioId, videoId] = ids;

    expect(item(pttId)).toHaveTextContent('Voice message');
    const voice = item(pttId).querySelector('audio');
    expect(voice).toHaveAttribute('controls');
    expect(voice).toHaveAccessibleName('Voice message');
    expect(voice?.getAttribute('src')).toContain(`${FILES_URL}/${pttId}?`);

    const audio = item(audioId).querySelector('audio');
    expect(audio).toHaveAttribute('controls');
    expect(audio?.getAttribute('src')).toContain(`${FILES_URL}/${audioId}?`);
    expect(item(audioId)).not.toHaveTextContent('Voice message');
    expect(item(audioId).querySelector('.wg-message__text')).toHaveTextContent('The jingle');

    const video = item(videoId).querySelector('video');
    expect(video).toHaveAttribute('controls');
    const src = video?.getAttribute('src');
    expect(src).toContain(`${FILES_URL}/${videoId}?`);
    expect(within(item(videoId)).getByRole('link', { name: 'Download way.mp4' })).toHaveAttribute('href', src);
    expect(item(videoId)).toHaveTextContent('2.5 MB');
    expect(item(videoId)).toHaveTextContent('How to find us');
  });

  it('shows a document by name and size, with a download link', async () => {
    const { ids } = startWith({
      type: 'document',
      content: 'Your invoice',
      media: media({ mime: 'application/pdf', filename: 'Invoice 42.pdf', size: 1_234_567 }),
    });
    await nextPoll();
    await pass(0);
    const doc = item(ids[0]);
    expect(doc).toHaveTextContent('Invoice 42.pdf');
    expect(doc).toHaveTextContent('1.2 MB');
    const download = within(doc).getByRole('link', { name: 'Download Invoice 42.pdf' });
    expect(download.getAttribute('href')).toBe(fileUrl(ids[0], 1));
    expect(download).toHaveAttribute('download', 'Invoice 42.pdf');
    expect(doc.querySelector('.wg-message__text')).toHaveTextContent('Your invoice');
  });

  it('shows a place with its coordinates and a map link, and a contact card, asking for no file', async () => {
    const { api, ids } = startWith(
      {
        type: 'location',
        content: '',
        location: { latitude: 52.52, longitude: 13.405, name: 'Shop', address: 'Unter den Linden 1, Berlin' },
      },
      {
        type: 'vcard',
        content: '',
        contact: { name: 'Maria Silva', phones: ['+49 151 2345678', '+55 11 98765-4321'], vcard: 'BEGIN:VCARD\nEND:VCARD' },
      },
    );
    await nextPoll();
    await pass(0);
    const [placeId, contactId] = ids;
    const place = item(placeId);
    expect(place).toHaveTextContent('Shop');
    expect(place).toHaveTextContent('Unter den Linden 1, Berlin');
    expect(place).toHaveTextContent('52.52, 13.405');
    expect(within(place).getByRole('link', { name: /Open map/ })).toHaveAttribute(
      'href',
      'https://www.openstreetmap.org/?mlat=52.52&mlon=13.405#map=16/52.52/13.405',
    );

    const contact = item(contactId);
    expect(contact).toHaveTextContent('Maria Silva');
    const phones = within(within(contact).getByRole('list', { name: 'Phone numbers' })).getAllByRole('link');
    expect(phones.map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['+49 151 2345678', 'tel:+491512345678'],
      ['+55 11 98765-4321', 'tel:+5511987654321'],
    ]);
    expect(mediaCalls(api)).toHaveLength(0);
  });

  it("says why a file was not kept, with the caption, and does not ask for it", async () => {
    const { api, ids } = startWith({
      type: 'audio',
      content: 'Listen to this',
      media: null,
      media_error: "the file is larger than WhatsApp's 16 MB limit for audio",
    });
    await nextPoll();
    await pass(0);
    const li = item(ids[0]);
    expect(li).toHaveTextContent("The file could not be kept: the file is larger than WhatsApp's 16 MB limit for audio");
    expect(li.querySelector('.wg-message__text')).toHaveTextContent('Listen to this');
    expect(li.querySelector('audio')).toBeNull();
    expect(mediaCalls(api)).toHaveLength(0);
  });

  it('a failed fetch says "Could not load the file"; Retry asks again and shows the photo', async () => {
    const { api, user, ids } = startWith({ type: 'image', content: 'Receipt', media: media() });
    api.failNext('GET', /\/media$/, 500, 'internal_error', 'Storage is down.');
    await nextPoll();
    await pass(0);
    const li = item(ids[0]);
    expect(li).toHaveTextContent('Could not load the file.');
    expect(within(li).queryByRole('img')).toBeNull();
    await nextPoll();
    expect(mediaCalls(api)).toHaveLength(1); // no retry loop on its own

    await user.click(within(li).getByRole('button', { name: 'Retry loading the photo' }));
    await pass(0);
    expect(mediaCalls(api)).toHaveLength(2);
    expect(within(li).getByRole('img', { name: 'Receipt' })).toHaveAttribute('src', fileUrl(ids[0], 1));
    expect(li).not.toHaveTextContent('Could not load the file');
  });

  it('Retry works from the keyboard too', async () => {
    const { api, user, ids } = startWith({ type: 'document', content: '', media: media({ filename: 'menu.pdf' }) });
    api.failNext('GET', /\/media$/, 404, 'message_not_found', 'No such message.');
    await nextPoll();
    await pass(0);
    within(item(ids[0])).getByRole('button', { name: 'Retry loading the document' }).focus();
    await user.keyboard('{Enter}');
    await pass(0);
    expect(mediaCalls(api)).toHaveLength(2);
    expect(within(item(ids[0])).getByRole('link', { name: 'Download menu.pdf' })).toBeInTheDocument();
  });

  it('a file that fails to load once its URL is stale gets a new URL once; a fresh URL that fails shows Retry', async () => {
    const { api, ids } = startWith({ type: 'image', content: '', media: media() });
    await nextPoll();
    await pass(0);
    const li = item(ids[0]);
    expect(within(li).getByRole('img')).toHaveAttribute('src', fileUrl(ids[0], 1));

    vi.setSystemTime(Date.now() + 11 * MINUTE);
    fireEvent.error(within(li).getByRole('img'));
    await pass(0);
    expect(mediaCalls(api)).toHaveLength(2);
    expect(within(li).getByRole('img')).toHaveAttribute('src', fileUrl(ids[0], 2));

    fireEvent.error(within(li).getByRole('img')); // fresh, and still failing: not the URL's age
    await pass(0);
    expect(mediaCalls(api)).toHaveLength(2);
    expect(li).toHaveTextContent('Could not load the file.');
    expect(within(li).getByRole('button', { name: 'Retry loading the photo' })).toBeInTheDocument();
  });

  it('a download clicked while its URL is fresh just follows it; clicked after it went stale, opens a new URL', async () => {
    const { api, user, ids } = startWith({ type: 'document', content: '', media: media({ filename: 'menu.pdf' }) });
    await nextPoll();
    await pass(0);
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    const link = within(item(ids[0])).getByRole('link', { name: 'Download menu.pdf' });
    let followed = 0;
    const onClick = (event: MouseEvent) => {
      followed += event.defaultPrevented ? 0 : 1;
      event.preventDefault(); // jsdom does not navigate
    };
    document.addEventListener('click', onClick);
    await user.click(link);
    await pass(0);
    expect(followed).toBe(1);
    expect(open).not.toHaveBeenCalled();
    expect(mediaCalls(api)).toHaveLength(1);

    vi.setSystemTime(Date.now() + 11 * MINUTE);
    await user.click(within(item(ids[0])).getByRole('link', { name: 'Download menu.pdf' }));
    await pass(0);
    expect(mediaCalls(api)).toHaveLength(2);
    expect(followed).toBe(1); // the stale URL was not followed
    expect(open).toHaveBeenCalledWith(fileUrl(ids[0], 2), '_blank', 'noopener,noreferrer');
    document.removeEventListener('click', onClick);
    expect(within(item(ids[0])).getByRole('link', { name: 'Download menu.pdf' })).toHaveAttribute('href', fileUrl(ids[0], 2));
  });

  it('asks for a file only once its message scrolls into view', async () => {
    const observers: { callback: IntersectionObserverCallback; targets: Element[] }[] = [];
    class FakeIntersectionObserver {
      private readonly entry: { callback: IntersectionObserverCallback; targets: Element[] };
      constructor(callback: IntersectionObserverCallback) {
        this.entry = { callback, targets: [] };
        observers.push(this.entry);
      }
      observe(target: Element) {
        this.entry.targets.push(target);
      }
      disconnect() {
        this.entry.targets = [];
      }
    }
    vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
    const { api, ids } = startWith({ type: 'image', content: 'Far down', media: media() }, { content: 'text' });
    await nextPoll();
    await pass(0);
    expect(mediaCalls(api)).toHaveLength(0);
    expect(item(ids[0])).toHaveTextContent('Loading the photo…');

    const watching = observers.filter((o) => o.targets.some((t) => item(ids[0]).contains(t)));
    expect(watching).toHaveLength(1);
    act(() => {
      const [target] = watching[0].targets;
      watching[0].callback([{ isIntersecting: true, target } as IntersectionObserverEntry], {} as IntersectionObserver);
    });
    await pass(0);
    expect(mediaCalls(api)).toHaveLength(1);
    expect(within(item(ids[0])).getByRole('img', { name: 'Far down' })).toBeInTheDocument();
  });

  it('keeps a fresh URL when the sign-in token is refreshed; a new token asks with itself', async () => {
    const { api, ids, rerender } = startWith(
      { type: 'ptt', content: '', media: media({ mime: 'audio/ogg', filename: null }) },
    );
    await nextPoll();
    await pass(0);
    expect(item(ids[0]).querySelector('audio')).toHaveAttribute('src', fileUrl(ids[0], 1));
    api.token = 'refreshed-token';
    rerender(
      <App
        config={{ apiUrl: API_URL, accessToken: 'refreshed-token', chatbotId: CHATBOT_ID, userEmail: 'owner@example.test' }}
        pollIntervalMs={POLL_MS}
      />,
    );
    await nextPoll();
    expect(mediaCalls(api)).toHaveLength(1);
    expect(item(ids[0]).querySelector('audio')).toHaveAttribute('src', fileUrl(ids[0], 1));

    vi.setSystemTime(Date.now() + 11 * MINUTE);
    fireEvent.error(item(ids[0]).querySelector('audio')!);
    await pass(0);
    expect(mediaCalls(api).map((call) => call.authorization)).toEqual([`Bearer ${TOKEN}`, 'Bearer refreshed-token']);
    expect(item(ids[0]).querySelector('audio')).toHaveAttribute('src', fileUrl(ids[0], 2));
  });

  it('shows a message from an API without media fields as text', async () => {
    const { ids } = startWith({ content: 'from before media', type: undefined, media: undefined });
    await nextPoll();
    expect(item(ids[0]).querySelector('.wg-message__text')).toHaveTextContent('from before media');
  });
});

describe('media URLs in memory', () => {
  it('one request for concurrent asks, the URL reused while fresh, a new one once stale', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = new FakeWagateApi();
    const session = api.connect(api.addSession().id);
    const photo = api.addMessage(session.id, { type: 'image', media: media() });
    const links = new MediaLinks(new WagateClient({ apiUrl: API_URL, accessToken: TOKEN, fetch: api.fetch }));

    const [a, b] = await Promise.all([links.get(photo.id), links.get(photo.id)]);
    expect(a).toBe(b);
    expect(mediaCalls(api)).toHaveLength(1);
    vi.setSystemTime(Date.now() + 9 * MINUTE);
    expect((await links.get(photo.id)).url).toBe(a.url);
    expect(mediaCalls(api)).toHaveLength(1);
    vi.setSystemTime(Date.now() + 2 * MINUTE);
    expect(links.fresh(photo.id)).toBeNull();
    expect((await links.get(photo.id)).url).toBe(fileUrl(photo.id, 2));
    expect((await links.get(photo.id, { renew: true })).url).toBe(fileUrl(photo.id, 3));
  });

  it('the route without redirect=false is a redirect the dashboard cannot read (so it always asks for JSON)', async () => {
    const api = new FakeWagateApi();
    const session = api.connect(api.addSession().id);
    const photo = api.addMessage(session.id, { type: 'image', media: media() });
    const client = new WagateClient({ apiUrl: API_URL, accessToken: TOKEN, fetch: api.fetch });
    const link = await client.getMessageMedia(photo.id);
    expect(link).toMatchObject({ url: fileUrl(photo.id, 1), expires_in: 900, filename: 'photo.jpg', size: 123_456 });
    await expect(client.getMessageMedia('msg-nope')).rejects.toMatchObject({ status: 404, code: 'message_not_found' });
  });
});

describe('media helpers', () => {
  it('formats file sizes in decimal units', () => {
    expect(formatFileSize(1, 'en-US')).toBe('1 byte');
    expect(formatFileSize(512, 'en-US')).toBe('512 bytes');
    expect(formatFileSize(123_456, 'en-US')).toBe('123 kB');
    expect(formatFileSize(1_234_567, 'en-US')).toBe('1.2 MB');
    expect(formatFileSize(16_000_000, 'en-US')).toBe('16 MB');
    expect(formatFileSize(2_100_000_000, 'en-US')).toBe('2.1 GB');
    expect(formatFileSize(1_234_567, 'de-DE')).toBe('1,2 MB');
  });

  it('links a place on OpenStreetMap, rounded to about a metre', () => {
    expect(openStreetMapUrl({ latitude: -33.8567844, longitude: 151.213108 })).toBe(
      'https://www.openstreetmap.org/?mlat=-33.85678&mlon=151.21311#map=16/-33.85678/151.21311',
    );
    expect(formatCoordinates({ latitude: 52.52, longitude: 13.405 })).toBe('52.52, 13.405');
  });

  it('uses a URL for 10 minutes, or two thirds of a shorter life', () => {
    const fetchedAt = Date.parse('2026-11-25T12:00:00Z');
    expect(isLinkFresh({ fetchedAt, expiresIn: 900 }, fetchedAt + LINK_REFRESH_AFTER_MS - 1)).toBe(true);
    expect(isLinkFresh({ fetchedAt, expiresIn: 900 }, fetchedAt + LINK_REFRESH_AFTER_MS)).toBe(false);
    expect(isLinkFresh({ fetchedAt, expiresIn: 60 }, fetchedAt + 39_000)).toBe(true);
    expect(isLinkFresh({ fetchedAt, expiresIn: 60 }, fetchedAt + 41_000)).toBe(false);
    expect(isLinkFresh({ fetchedAt, expiresIn: 0 }, fetchedAt)).toBe(false);
  });

  it('says why a file is missing', () => {
    expect(describeMissingFile('it expired on WhatsApp')).toBe('The file could not be kept: it expired on WhatsApp');
    expect(describeMissingFile(null)).toBe('The file is not available.');
  });
});
