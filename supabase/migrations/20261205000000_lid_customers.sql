-- wagate: customers as WhatsApp names them (LIDs since 2025), and what WhatsApp Web does to a
-- message after it arrived.
--   * a message row keeps its chat as WhatsApp named it (`chat_id`: `<lid>@lid` or `<phone>@c.us`),
--     the customer's LID when there is one and their phone number when WhatsApp Web knows it;
--     replies go into the chat the customer wrote from;
--   * a customer's edit and deletion for everyone are recorded on the message they change;
--   * an ack of -1 (WhatsApp refused the message) fails it.

alter table public.whatsapp_web_messages
    add column chat_id text,
    add column customer_lid text,
    add column customer_phone text,
    add column edited_at timestamptz,
    add column revoked_at timestamptz;

-- Before LIDs every customer was a phone number, and the chat was `<phone>@c.us`.
update public.whatsapp_web_messages
   set customer_phone = case when direction = 'inbound' then from_number else to_number end,
       chat_id = (case when direction = 'inbound' then from_number else to_number end) || '@c.us'
 where (case when direction = 'inbound' then from_number else to_number end) ~ '^[1-9][0-9]{6,14}$';

-- An API send by phone number reaches that customer's existing chat (LID or not): looked up here.
create index whatsapp_web_messages_customer_idx
    on public.whatsapp_web_messages (session_id, customer_phone, timestamp desc)
    where customer_phone is not null;

-- A LID customer who hides their number now but showed it before keeps their phone (and their
-- conversation): the runner looks it up here.
create index whatsapp_web_messages_lid_phone_idx
    on public.whatsapp_web_messages (session_id, customer_lid)
    where customer_lid is not null and customer_phone is not null;

-- The chatbot's replies go into the inbound message's chat, to the same customer.
create or replace function public.store_replies(
    p_inbound_id uuid, p_runner_id text, p_epoch bigint, p_whatsapp_ids text[], p_texts text[])
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
        (session_id, chatbot_id, user_id, message_id, from_number, to_number, direction, content, status,
         reply_to, chat_id, customer_lid, customer_phone)
    select inbound.session_id, inbound.chatbot_id, inbound.user_id, w.id, inbound.to_number,
           inbound.from_number, 'outbound', w.text, 'queued', inbound.id, inbound.chat_id,
           inbound.customer_lid, inbound.customer_phone
      from unnest(p_whatsapp_ids, p_texts) as w(id, text)
    returning *;
end;
$$;

-- Acks only rise; -1 (WhatsApp refused the message: the number, the content, a ban) fails it.
create or replace function public.store_acks(p_session_ids uuid[], p_message_ids text[], p_acks smallint[])
returns integer
language sql volatile security definer set search_path = '' as $$
    with changed as (
        update public.whatsapp_web_messages m
           set ack = reported.ack,
               status = case when reported.ack < 0 then 'failed' else m.status end,
               error = case when reported.ack < 0 then 'WhatsApp refused the message' else m.error end,
               error_code = case when reported.ack < 0 then 'send_refused' else m.error_code end
          from unnest(p_session_ids, p_message_ids, p_acks) as reported(session_id, message_id, ack)
         where m.session_id = reported.session_id and m.message_id = reported.message_id
           and (m.ack is null or (reported.ack < 0 and m.ack >= 0) or (m.ack >= 0 and m.ack < reported.ack))
        returning 1)
    select count(*)::integer from changed;
$$;

grant select (chat_id, customer_lid, customer_phone, edited_at, revoked_at)
    on public.whatsapp_web_messages to authenticated;
