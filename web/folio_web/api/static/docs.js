// Starts Swagger UI from a file rather than an inline script, so the site's CSP allows it.
(function () {
  var target = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: target.dataset.specUrl,
    domNode: target,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
