// The OMS's GraphiQL page (served by `oms serve` only; every file comes from the binary).
// Configuration: the JSON in #oms-graphiql-config ({endpoint, headers}: `oms serve --demo` puts
// the demo customer's token in the headers pane), and the URL fragment:
//   #token=<jwt>   puts `Authorization: Bearer <jwt>` in the headers pane (never sent to the server
//                  in the URL: a fragment stays in the browser)
//   &query=<text>  opens with this operation in the editor
//   &run=1         runs it once the page is up (the browser test uses this)
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  try {
    var config = JSON.parse(document.getElementById('oms-graphiql-config').textContent);
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    var token = params.get('token');
    var headers = token
      ? { Authorization: 'Bearer ' + token.replace(/^Bearer\s+/i, '') }
      : config.headers;
    var props = {
      fetcher: GraphiQL.createFetcher({ url: new URL(config.endpoint, window.location.origin).toString() }),
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    };
    if (headers) {
      props.headers = JSON.stringify(headers, null, 2);
    }
    var query = params.get('query');
    if (query) {
      props.query = query;
    }
    ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
    if (params.get('run') === '1') {
      var tries = 0;
      var timer = setInterval(function () {
        var button = document.querySelector('.graphiql-execute-button');
        tries += 1;
        if (button || tries > 200) {
          clearInterval(timer);
          if (button) {
            button.click();
          }
        }
      }, 50);
    }
  } catch (e) {
    root.textContent = 'GraphiQL failed to start: ' + e;
  }
})();
