/*
 * OpsGraph GraphiQL bootstrap.
 * Loaded by index.html after React 18, ReactDOM 18 and GraphiQL 3 UMD builds
 * (globals: React, ReactDOM, GraphiQL). Kept in a file rather than inline so the
 * page works under `Content-Security-Policy: script-src 'self'`.
 */
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# Welcome to OpsGraph. Try:',
    'query RecentIncidents {',
    '  incidents(pagination: { first: 10 }) {',
    '    totalCount',
    '    edges {',
    '      node {',
    '        number',
    '        title',
    '        status',
    '        priority',
    '        assignee { name email }',
    '        team { name }',
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

  var root = document.getElementById('graphiql');

  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.textContent =
      'GraphiQL failed to load (missing /static/graphiql/*.js assets).';
    return;
  }

  // Same-origin endpoint; relative URL so it works behind any host/port.
  var fetcher = window.GraphiQL.createFetcher({ url: '/graphql' });

  window.ReactDOM.createRoot(root).render(
    window.React.createElement(window.GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true,
    })
  );
})();
