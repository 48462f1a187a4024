/*
 * The module system, as WhatsApp Web's: `__d(name, factory)` defines a module, `window.require(name)`
 * returns its exports and throws for a name it does not know. Module faults from the boot config (a
 * WhatsApp Web update) hide names or move them to new ones; the app itself keeps working because it
 * loads its own modules by their original names. Names starting with `__sim/` are the simulator's
 * plumbing and are not reachable through `window.require`. Recent builds register their modules
 * progressively: with `lateModulesMs`, the chat and message modules (LATE below) become reachable
 * only that long after `window.Debug` appears (`__sim/runtime`.publishedAt).
 */
(function () {
  'use strict';
  const boot = JSON.parse(document.getElementById('wa-boot').textContent);
  const INTERNAL = '__sim/';
  const factories = new Map();
  const loaded = new Map();
  const removed = new Set(boot.removedModules || []);
  const renamedFrom = boot.renamedModules || {};
  const renamedTo = new Map(Object.entries(renamedFrom).map(([oldName, newName]) => [newName, oldName]));
  const LATE = new Set([
    'WAWebCollections', 'WAWebFindChatAction', 'WAWebSendMsgChatAction', 'WAWebQueryExistsJob',
    'WAWebChatStateBridge', 'WAWebUpdateUnreadChatAction', 'WAWebMsgKey', 'WAWebApiContact',
    'WAWebLidMigrationUtils', 'WAWebGetEphemeralFieldsMsgActionsUtils',
  ]);
  const registeredLate = (name) => {
    const runtime = loaded.get('__sim/runtime');
    if (!LATE.has(name) || !boot.lateModulesMs) return false;
    return !runtime || runtime.publishedAt === null || Date.now() < runtime.publishedAt + boot.lateModulesMs;
  };

  function unknownModule(name) {
    return new Error(`Requiring unknown module "${name}"`);
  }

  function load(name) {
    if (loaded.has(name)) return loaded.get(name);
    const factory = factories.get(name);
    if (!factory) throw unknownModule(name);
    const exports = factory(load);
    loaded.set(name, exports);
    return exports;
  }

  function definedNameFor(publicName) {
    if (typeof publicName !== 'string' || publicName.startsWith(INTERNAL)) return null;
    if (renamedTo.has(publicName)) return renamedTo.get(publicName);
    if (removed.has(publicName) || Object.prototype.hasOwnProperty.call(renamedFrom, publicName)) return null;
    return factories.has(publicName) ? publicName : null;
  }

  window.__d = function define(name, factory) {
    factories.set(name, factory);
  };

  window.require = function require(name) {
    const defined = definedNameFor(name);
    if (defined === null || registeredLate(name)) throw unknownModule(name);
    return load(defined);
  };

  // Shared state of this page: boot settings, the logged-in account, registration keys.
  window.__d('__sim/runtime', () => ({
    boot,
    me: null,
    registration: null,
    credentials: null,
    historyKey: null,
    publishedAt: null, // when window.Debug appeared
    build: boot.build || '2026',
    loggingOut: false,
  }));

  document.addEventListener('DOMContentLoaded', () => load('__sim/boot'));
})();
