/** Price catalog, cost and spot planning, and preflight checks for a paid GPU run. */
package io.jsae.provisioning;
