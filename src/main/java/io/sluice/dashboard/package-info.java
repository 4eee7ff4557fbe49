/**
 * The browser dashboard: static files from {@code webroot/} (plain ES modules, no build step) and front-end
 * libraries from WebJars, served by every broker at {@code /}. The pages call the public HTTP API only.
 */
package io.sluice.dashboard;
