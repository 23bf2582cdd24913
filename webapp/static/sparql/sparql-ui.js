// Query UI: replaces the plain form with Yasgui (served from node_modules by the app), preloads
// the catalog's prefixes, turns the example list into editor tabs, and shows the endpoint's
// truncation notice (X-SPARQL-Truncated) next to Yasgui's results. Without JavaScript the form
// keeps working on its own.
(function () {
  "use strict";
  var configElement = document.getElementById("sparql-config");
  var mount = document.getElementById("yasgui");
  if (!configElement || !mount || typeof window.Yasgui === "undefined") {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var form = document.getElementById("sparql-form");
  var notice = document.getElementById("sparql-truncated-live");

  function withPrefixes(query) {
    // Declare the catalog's prefixes the query uses but does not declare, so Yasqe's syntax
    // check (which does not know the endpoint's predefined prefixes) accepts it.
    var lines = [];
    Object.keys(config.prefixes).forEach(function (prefix) {
      var declared = new RegExp("PREFIX\\s+" + prefix + ":", "i").test(query);
      var used = new RegExp("(^|[\\s(/^|,;{])" + prefix + ":", "m").test(query);
      if (used && !declared) {
        lines.push("PREFIX " + prefix + ": <" + config.prefixes[prefix] + ">");
      }
    });
    return lines.length ? lines.join("\n") + "\n" + query : query;
  }

  // Shown before Yasgui starts: its editor measures itself when created.
  mount.hidden = false;
  if (form) {
    form.hidden = true;
  }
  window.Yasgui.Yasqe.defaults.value = withPrefixes(config.query);
  window.Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new window.Yasgui(mount, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: config.endpoint }];
      },
      keys: [],
    },
    persistenceId: "lmickg-sparql",
  });

  function watch(tab) {
    var yasqe = tab.getYasqe();
    if (!yasqe || yasqe.lmickgWatched) {
      return;
    }
    yasqe.lmickgWatched = true;
    yasqe.on("queryResponse", function (_instance, response) {
      var headers = (response && (response.header || response.headers)) || {};
      var value = headers["x-sparql-truncated"];
      if (typeof headers.get === "function") {
        value = headers.get("x-sparql-truncated");
      }
      if (notice) {
        notice.hidden = value !== "true";
        notice.textContent = value === "true" ? config.truncatedText : "";
      }
    });
  }

  watch(yasgui.getTab());
  yasgui.on("tabSelect", function (instance, tabId) {
    var tab = instance.getTab(tabId);
    if (tab) {
      watch(tab);
    }
  });

  document.querySelectorAll(".sparql-open-example").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = Number(button.getAttribute("data-example"));
      var tab = yasgui.addTab(true, {
        name: config.exampleTitles[index],
        yasqe: { value: withPrefixes(config.examples[index]) },
      });
      watch(tab);
      mount.scrollIntoView();
    });
  });
})();
