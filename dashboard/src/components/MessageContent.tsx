import type { MouseEvent, ReactNode } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { Message, MessageContact, MessageLocation, MessageMedia } from '../api/types';
import { useInView } from '../hooks/useInView';
import { useMediaLink, type MediaLinkState } from '../hooks/useMediaLink';
import {
  altText,
  describeMissingFile,
  fileNoun,
  formatCoordinates,
  formatFileSize,
  isFileType,
  openStreetMapUrl,
  type FileType,
} from '../media';

/** What a message holds: its text, or its photo, voice note, file, place or contact, and caption. */
export function MessageContent(props: { message: Message }) {
  const { message } = props;
  const type = message.type ?? 'chat';
  if (isFileType(type)) {
    return (
      <>
        {message.media ? (
          <FileView messageId={message.id} type={type} media={message.media} alt={altText(message)} />
        ) : (
          <p className="wg-message__note">{describeMissingFile(message.media_error)}</p>
        )}
        <Caption text={message.content} />
      </>
    );
  }
  if (type === 'location' && message.location) {
    return (
      <>
        <LocationView location={message.location} />
        <Caption text={message.content} />
      </>
    );
  }
  if (type === 'vcard' && message.contact) return <ContactView contact={message.contact} />;
  return <p className="wg-message__text">{message.content}</p>;
}

function Caption(props: { text: string | undefined }) {
  return props.text?.trim() ? <p className="wg-message__text">{props.text}</p> : null;
}

/** A file, its URL fetched once the message comes into view. */
function FileView(props: { messageId: string; type: FileType; media: MessageMedia; alt: string }) {
  const { type, media } = props;
  const { t } = useTranslation();
  const [ref, inView] = useInView<HTMLDivElement>();
  const link = useMediaLink(props.messageId, inView);
  const noun = fileNoun(type);
  const size = formatFileSize(media.size);
  const name = media.filename || noun;

  let body: ReactNode;
  if (link.failed) {
    body = (
      <p className="wg-media__failed" role="status">
        {t('media.couldNotLoad')}{' '}
        <button type="button" className="wg-link-button" onClick={link.retry} aria-label={t(`media.retryLoading.${type}`)}>
          {t('common.retry')}
        </button>
      </p>
    );
  } else if (!link.url) {
    body = <p className="wg-media__loading wg-muted">{t(`media.loading.${type}`)}</p>;
  } else if (type === 'image' || type === 'sticker') {
    body = (
      <FileLink link={link} className="wg-media__open">
        <img className={`wg-media__image wg-media__image--${type}`} src={link.url} alt={props.alt} loading="lazy" onError={link.onLoadError} />
        {' '}
        <span className="wg-visually-hidden">{t('media.opensFullSize')}</span>
      </FileLink>
    );
  } else if (type === 'ptt' || type === 'audio') {
    body = <audio className="wg-media__audio" controls preload="metadata" src={link.url} aria-label={noun} onError={link.onLoadError} />;
  } else if (type === 'video') {
    body = <video className="wg-media__video" controls preload="metadata" src={link.url} aria-label={noun} onError={link.onLoadError} />;
  }

  const download =
    link.url && (type === 'video' || type === 'document') ? (
      <FileLink link={link} download={media.filename ?? ''}>
        <Trans i18nKey="media.download" values={{ name }} components={{ hidden: <span className="wg-visually-hidden" /> }} />
      </FileLink>
    ) : null;

  return (
    <div ref={ref} className={`wg-media wg-media--${type}`}>
      {type === 'ptt' ? <p className="wg-media__label">{noun}</p> : null}
      {type === 'document' ? (
        <p className="wg-media__file">
          <span className="wg-media__filename">{name}</span> <span className="wg-muted">{size}</span>
        </p>
      ) : null}
      {body}
      {download ? (
        <p className="wg-media__actions">
          {download}
          {type === 'video' ? <span className="wg-muted"> {size}</span> : null}
        </p>
      ) : null}
    </div>
  );
}

/** A link to the file in a new tab; clicked after its URL went stale, it opens a renewed one. */
function FileLink(props: { link: MediaLinkState; className?: string; download?: string; children: ReactNode }) {
  const { link } = props;
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!link.isStale()) return;
    event.preventDefault();
    void link.freshUrl().then(
      (url) => window.open(url, '_blank', 'noopener,noreferrer'),
      () => link.retry(),
    );
  };
  return (
    <a
      className={props.className}
      href={link.url ?? undefined}
      target="_blank"
      rel="noopener noreferrer"
      download={props.download}
      onClick={onClick}
    >
      {props.children}
    </a>
  );
}

function LocationView(props: { location: MessageLocation }) {
  const { location } = props;
  const { t } = useTranslation();
  return (
    <div className="wg-media wg-media--location">
      <p className="wg-media__label">
        <span className="wg-visually-hidden">{t('media.locationPrefix')}</span> {location.name || t('media.location')}
      </p>
      {location.address ? <p className="wg-media__address">{location.address}</p> : null}
      <p>
        <span className="wg-muted">{formatCoordinates(location)}</span>{' '}
        <a href={openStreetMapUrl(location)} target="_blank" rel="noopener noreferrer">
          <Trans i18nKey="media.openMap" components={{ hidden: <span className="wg-visually-hidden" /> }} />
        </a>
      </p>
    </div>
  );
}

function ContactView(props: { contact: MessageContact }) {
  const { contact } = props;
  const { t } = useTranslation();
  return (
    <div className="wg-media wg-media--vcard">
      <p className="wg-media__label">
        <span className="wg-visually-hidden">{t('media.contactPrefix')}</span> {contact.name || t('media.contact')}
      </p>
      {contact.phones.length > 0 ? (
        <ul className="wg-media__phones" aria-label={t('media.phoneNumbers')}>
          {contact.phones.map((phone, index) => (
            <li key={`${index}:${phone}`}>
              <a href={`tel:${phone.replace(/[^\d+]/g, '')}`}>{phone}</a>
            </li>
          ))}
        </ul>
      ) : (
        <p className="wg-muted">{t('media.noPhoneNumber')}</p>
      )}
    </div>
  );
}
