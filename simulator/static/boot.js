/* Start the page: the view first (it listens to state), then the session (storage, socket). */
__d('__sim/boot', (load) => {
  'use strict';
  load('__sim/login_view').mount();
  load('__sim/session')
    .start()
    .catch((error) => console.error('WhatsApp failed to start', error));
  return {};
});
