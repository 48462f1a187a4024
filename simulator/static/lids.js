/*
 * LIDs: since 2025 WhatsApp addresses people by a linked identity (`<lid>@lid`) as well as by phone
 * number (`<phone>@c.us`). A linked device knows the phone number behind a LID only when the person
 * shows it (or once a number lookup told it); an account that moved to LIDs (the 2026 build) opens a
 * chat with a phone number only through that mapping, and throws "No LID for user" without it, as
 * the real WhatsApp Web does (`WAWebLidMigrationUtils.toUserLidOrThrow`).
 * Public modules: WAWebApiContact, WAWebLidMigrationUtils.
 */
__d('__sim/lids', (load) => {
  'use strict';
  const runtime = load('__sim/runtime');
  const { createWid } = load('__sim/wid');
  const lidByPn = new Map(); // phone digits -> lid digits
  const pnByLid = new Map();

  function learn(pn, lid) {
    if (!pn || !lid) return;
    lidByPn.set(String(pn), String(lid));
    pnByLid.set(String(lid), String(pn));
  }

  function migrated() {
    return runtime.build !== '2025';
  }

  /** The LID wid behind a phone-number wid, or null. */
  function lidOf(wid) {
    const id = createWid(wid);
    if (id.isLid()) return id;
    const lid = id.server === 'c.us' ? lidByPn.get(id.user) : undefined;
    return lid ? createWid(`${lid}@lid`) : null;
  }

  /** The phone-number wid behind a LID wid, or null. */
  function pnOf(wid) {
    const id = createWid(wid);
    if (id.server === 'c.us') return id;
    const pn = id.isLid() ? pnByLid.get(id.user) : undefined;
    return pn ? createWid(`${pn}@c.us`) : null;
  }

  function toUserLidOrThrow(wid) {
    const lid = lidOf(wid);
    if (!lid) throw new Error('No LID for user');
    return lid;
  }

  return { learn, migrated, lidOf, pnOf, toUserLidOrThrow };
});

__d('WAWebApiContact', (load) => {
  const lids = load('__sim/lids');
  const { createWid } = load('__sim/wid');
  return {
    getPhoneNumber: (wid) => lids.pnOf(wid),
    getCurrentLid: (wid) => lids.lidOf(wid),
    getAlternateUserWid: (wid) => (createWid(wid).isLid() ? lids.pnOf(wid) : lids.lidOf(wid)),
  };
});

__d('WAWebLidMigrationUtils', (load) => {
  const lids = load('__sim/lids');
  return {
    toPn: (wid) => lids.pnOf(wid),
    toLid: (wid) => lids.lidOf(wid),
    toUserLidOrThrow: (wid) => lids.toUserLidOrThrow(wid),
    toPnOrThrow: (wid) => {
      const pn = lids.pnOf(wid);
      if (!pn) throw new Error('No PN for user');
      return pn;
    },
  };
});
