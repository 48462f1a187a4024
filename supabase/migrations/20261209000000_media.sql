-- Media: photos, voice notes, documents, stickers, locations and contact cards, in and out.
--
-- The bytes live in S3 (never here): `media/{user_id}/{session uuid}/{message row id}` for every
-- stored message's file, `media-uploads/{user_id}/{media_id}` for what a tenant uploads before
-- sending it. A message row keeps what WhatsApp said of the file and what wagate found in it:
-- its type, caption (in `content`), mime type, size, sha256, file name and object key; a location
-- and a contact card as structured fields. `media_error` says why a media message has no file
-- (too large, the download failed), the message is still stored and answered.

alter table public.whatsapp_web_messages
    add column type text not null default 'chat'
        check (type in ('chat', 'image', 'ptt', 'audio', 'video', 'document', 'sticker',
                        'location', 'vcard')),
    add column media_mime text,
    add column media_size bigint check (media_size is null or media_size >= 0),
    add column media_sha256 text check (media_sha256 is null or media_sha256 ~ '^[0-9a-f]{64}$'),
    add column media_filename text,
    add column media_key text,
    add column media_error text,
    add column location jsonb,   -- {"latitude", "longitude", "name", "address"}
    add column contact jsonb;    -- {"name", "phones": [...], "vcard"}

-- Uploads waiting to be sent (POST /api/media). The object may not exist yet (the tenant PUTs it
-- to the presigned URL); a send checks the bytes themselves. Unsent ones go with their objects
-- (S3 lifecycle, a day) and here by `purge_media_uploads`.
create table public.wagate_media_uploads (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid not null references auth.users (id) on delete cascade,
    mime       text not null,
    filename   text,
    size       bigint not null check (size > 0),
    created_at timestamptz not null default now()
);
create index wagate_media_uploads_user_idx on public.wagate_media_uploads (user_id, created_at);
alter table public.wagate_media_uploads enable row level security;
revoke all on public.wagate_media_uploads from public, anon, authenticated;
grant all on public.wagate_media_uploads to service_role;

create function public.purge_media_uploads(p_older_than_s integer) returns integer
language sql volatile security definer set search_path = '' as $$
    with gone as (
        delete from public.wagate_media_uploads
         where created_at < now() - make_interval(secs => p_older_than_s)
        returning 1)
    select count(*)::integer from gone;
$$;
revoke all on function public.purge_media_uploads(integer) from public, anon, authenticated;
grant execute on function public.purge_media_uploads(integer) to service_role;

-- What an event says of a message: the API's message object (wagate/presenters.py public_message).
create or replace function public.wagate_public_message(m public.whatsapp_web_messages) returns jsonb
language sql stable set search_path = '' as $$
    select jsonb_build_object(
        'id', m.id, 'session_id', m.session_id, 'message_id', m.message_id, 'direction', m.direction,
        'from_number', m.from_number, 'to_number', m.to_number, 'content', m.content,
        'status', m.status, 'ack', m.ack, 'timestamp', m.timestamp, 'reply_to', m.reply_to,
        'error', m.error, 'error_code', m.error_code, 'chat_id', m.chat_id,
        'customer_lid', m.customer_lid, 'customer_phone', m.customer_phone,
        'edited_at', m.edited_at, 'revoked_at', m.revoked_at,
        'type', m.type,
        'media', case when m.media_key is null then null else jsonb_build_object(
            'mime', m.media_mime, 'size', m.media_size, 'sha256', m.media_sha256,
            'filename', m.media_filename) end,
        'media_error', m.media_error,
        'location', m.location,
        'contact', m.contact)
$$;

-- The chatbot's replies, text or media, as one JSON array of
-- {"id", "message_id", "text", "type", "media_key", "media_mime", "media_size", "media_sha256",
--  "media_filename"}: the media already in S3 under the reply's own key (its row id, chosen by the
-- runner). The text-only form above stays for runners of the previous release.
create function public.store_replies(
    p_inbound_id uuid, p_runner_id text, p_epoch bigint, p_replies jsonb)
returns setof public.whatsapp_web_messages
language plpgsql volatile security definer set search_path = '' as $$
declare
    inbound public.whatsapp_web_messages;
begin
    select m.* into inbound
      from public.whatsapp_web_messages m
      join public.whatsapp_web_sessions s on s.id = m.session_id
     where m.id = p_inbound_id and s.runner_id = p_runner_id and s.epoch = p_epoch
       and m.status in ('received', 'replying')
     for update of m;
    if not found then
        return;
    end if;
    update public.whatsapp_web_messages set status = 'replied', error = null, error_code = null
     where id = p_inbound_id;
    return query
    insert into public.whatsapp_web_messages
        (id, session_id, chatbot_id, user_id, message_id, from_number, to_number, direction, content,
         status, reply_to, chat_id, customer_lid, customer_phone, type, media_key, media_mime,
         media_size, media_sha256, media_filename)
    select coalesce((r ->> 'id')::uuid, gen_random_uuid()), inbound.session_id, inbound.chatbot_id,
           inbound.user_id, r ->> 'message_id', inbound.to_number, inbound.from_number, 'outbound',
           coalesce(r ->> 'text', ''), 'queued', inbound.id, inbound.chat_id, inbound.customer_lid,
           inbound.customer_phone, coalesce(r ->> 'type', 'chat'), r ->> 'media_key',
           r ->> 'media_mime', (r ->> 'media_size')::bigint, r ->> 'media_sha256',
           r ->> 'media_filename'
      from jsonb_array_elements(p_replies) with ordinality as items(r, n)
     order by n
    returning *;
end;
$$;
revoke all on function public.store_replies(uuid, text, bigint, jsonb) from public, anon, authenticated;
grant execute on function public.store_replies(uuid, text, bigint, jsonb) to service_role;
