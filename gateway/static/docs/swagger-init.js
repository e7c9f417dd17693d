// Starts Swagger UI on the gateway's own OpenAPI document (no inline script: CSP 'self').
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // the default would send the document to validator.swagger.io
});
