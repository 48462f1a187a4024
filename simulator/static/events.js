/*
 * Backbone-like events, models and collections, the way WhatsApp Web's own behave for a bridge:
 * `on/off/once/trigger` with space-separated names and an `all` channel, models firing
 * `change:<attr>` (model, value, previous) and `change`, collections re-firing their models' change
 * events and firing `add` (model, collection, options) / `remove`.
 */
__d('__sim/events', () => {
  'use strict';
  const split = (names) => String(names).trim().split(/\s+/).filter(Boolean);
  const hidden = (target, key, value) =>
    Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });

  class Emitter {
    constructor() {
      hidden(this, '_handlers', new Map());
    }

    on(names, callback, context) {
      return this._listen(names, callback, context, false);
    }

    once(names, callback, context) {
      return this._listen(names, callback, context, true);
    }

    off(names, callback, context) {
      const targets = names ? split(names) : [...this._handlers.keys()];
      for (const name of targets) {
        const handlers = this._handlers.get(name) || [];
        const kept = handlers.filter(
          (h) => !((!callback || h.callback === callback) && (!context || h.context === context)),
        );
        if (kept.length) this._handlers.set(name, kept);
        else this._handlers.delete(name);
      }
      return this;
    }

    trigger(names, ...args) {
      for (const name of split(names)) {
        this._dispatch(name, args);
        if (name !== 'all') this._dispatch('all', [name, ...args]);
      }
      return this;
    }

    _listen(names, callback, context, once) {
      if (typeof callback !== 'function') return this;
      for (const name of split(names)) {
        if (!this._handlers.has(name)) this._handlers.set(name, []);
        this._handlers.get(name).push({ callback, context, once });
      }
      return this;
    }

    _dispatch(name, args) {
      const handlers = this._handlers.get(name);
      if (!handlers) return;
      for (const handler of [...handlers]) {
        if (handler.once) this.off(name, handler.callback, handler.context);
        try {
          handler.callback.apply(handler.context || this, args);
        } catch (error) {
          // A listener's error must not stop the others; surface it as an uncaught page error.
          setTimeout(() => {
            throw error;
          });
        }
      }
    }
  }

  class Model extends Emitter {
    static fields = [];

    constructor(attributes = {}) {
      super();
      hidden(this, 'attributes', {});
      hidden(this, 'collection', null);
      for (const field of this.constructor.fields) this._defineField(field);
      this.set(attributes, undefined, { silent: true });
    }

    get(field) {
      return this.attributes[field];
    }

    set(keyOrValues, value, options = {}) {
      const values = typeof keyOrValues === 'string' ? { [keyOrValues]: value } : keyOrValues || {};
      const opts = typeof keyOrValues === 'string' ? options : value || options;
      const changes = [];
      for (const [key, next] of Object.entries(values)) {
        if (!Object.prototype.hasOwnProperty.call(this, key)) this._defineField(key);
        const previous = this.attributes[key];
        if (previous === next) continue;
        this.attributes[key] = next;
        changes.push([key, next, previous]);
      }
      if (!opts.silent && changes.length) {
        for (const [key, next, previous] of changes) this.trigger(`change:${key}`, this, next, previous);
        this.trigger('change', this);
      }
      return this;
    }

    serialize() {
      return { ...this.attributes };
    }

    toJSON() {
      return this.serialize();
    }

    _defineField(field) {
      Object.defineProperty(this, field, {
        get: () => this.attributes[field],
        set: (next) => this.set(field, next),
        enumerable: true,
        configurable: true,
      });
    }
  }

  function keyOf(id) {
    if (id == null) return null;
    if (typeof id === 'string') return id;
    if (id instanceof Model) return keyOf(id.id);
    if (typeof id._serialized === 'string') return id._serialized;
    return String(id);
  }

  class Collection extends Emitter {
    constructor(modelClass) {
      super();
      this.modelClass = modelClass;
      hidden(this, '_byId', new Map());
      hidden(this, '_models', []);
      hidden(this, '_forwarders', new Map());
    }

    get length() {
      return this._models.length;
    }

    get models() {
      return this._models.slice();
    }

    get(id) {
      return this._byId.get(keyOf(id));
    }

    has(id) {
      return this._byId.has(keyOf(id));
    }

    add(input, options = {}) {
      if (Array.isArray(input)) return input.map((item) => this.add(item, options));
      const model = input instanceof Model ? input : new this.modelClass(input);
      const key = keyOf(model.id);
      const existing = this._byId.get(key);
      if (existing) {
        if (options.merge) existing.set(model.serialize());
        return existing;
      }
      this._byId.set(key, model);
      this._models.push(model);
      if (!model.collection) model.collection = this;
      const forward = (name, ...args) => {
        if (name === 'change' || name.startsWith('change:')) this.trigger(name, ...args);
      };
      this._forwarders.set(model, forward);
      model.on('all', forward);
      if (!options.silent) this.trigger('add', model, this, options);
      return model;
    }

    remove(input, options = {}) {
      const model = this.get(input);
      if (!model) return undefined;
      this._byId.delete(keyOf(model.id));
      this._models.splice(this._models.indexOf(model), 1);
      model.off('all', this._forwarders.get(model));
      this._forwarders.delete(model);
      if (!options.silent) this.trigger('remove', model, this, options);
      return model;
    }

    getModelsArray() {
      return this._models.slice();
    }

    toArray() {
      return this._models.slice();
    }

    forEach(callback) {
      this._models.slice().forEach(callback);
    }

    filter(predicate) {
      return this._models.filter(predicate);
    }

    map(callback) {
      return this._models.map(callback);
    }

    at(index) {
      return this._models[index];
    }

    last() {
      return this._models[this._models.length - 1];
    }
  }

  return { Emitter, Model, Collection, keyOf };
});
