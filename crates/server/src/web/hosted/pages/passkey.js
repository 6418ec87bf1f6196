// The WebAuthn call of cognate's hosted pages: reads the options the page carries as JSON data,
// asks the browser's authenticator (navigator.credentials.get to sign in, .create to add a
// passkey), and posts its answer, as WebAuthn's JSON encoding, in the page's form.
(function () {
  "use strict";
  var data = document.getElementById("webauthn-options");
  if (!data) return;
  var options = JSON.parse(data.textContent);
  var form = document.querySelector("form");
  var field = form.querySelector("input[name=credential]");
  var status = document.getElementById("webauthn-status");

  function decode(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    return Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
  }
  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    return (list || []).map(function (entry) { return Object.assign({}, entry, { id: decode(entry.id) }); });
  }

  function create() {
    var publicKey = Object.assign({}, options, {
      challenge: decode(options.challenge),
      user: Object.assign({}, options.user, { id: decode(options.user.id) }),
      excludeCredentials: ids(options.excludeCredentials),
    });
    return navigator.credentials.create({ publicKey: publicKey }).then(function (credential) {
      var response = credential.response;
      return {
        id: credential.id, rawId: encode(credential.rawId), type: credential.type,
        authenticatorAttachment: credential.authenticatorAttachment || null,
        response: {
          clientDataJSON: encode(response.clientDataJSON),
          attestationObject: encode(response.attestationObject),
          transports: response.getTransports ? response.getTransports() : [],
        },
        clientExtensionResults: {},
      };
    });
  }
  function get() {
    var publicKey = Object.assign({}, options, { challenge: decode(options.challenge), allowCredentials: ids(options.allowCredentials) });
    return navigator.credentials.get({ publicKey: publicKey }).then(function (credential) {
      var response = credential.response;
      return {
        id: credential.id, rawId: encode(credential.rawId), type: credential.type,
        response: {
          clientDataJSON: encode(response.clientDataJSON),
          authenticatorData: encode(response.authenticatorData),
          signature: encode(response.signature),
          userHandle: response.userHandle ? encode(response.userHandle) : null,
        },
        clientExtensionResults: {},
      };
    });
  }

  var running = false;
  function run(event) {
    if (event) event.preventDefault();
    if (running) return;
    running = true;
    status.textContent = "Waiting for your passkey…";
    (data.dataset.mode === "create" ? create() : get()).then(function (answer) {
      field.value = JSON.stringify(answer);
      form.submit();
    }, function (error) {
      running = false;
      status.textContent = "The passkey was not used (" + error.name + "). Try again.";
    });
  }
  form.addEventListener("submit", run);
  run();
})();
