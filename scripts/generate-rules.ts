// `npm run rules:generate`: writes the scaler's alert rules, built from its rule catalogue, to the Helm
// chart (deploy/helm/otel-gateway-scaler/files/prometheus-rules.yaml), which renders them as a
// PrometheusRule. A test fails when the file and the catalogue differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prometheusRulesYaml, PROMETHEUS_RULES_FILE } from '../src/alerts/prometheus-rules-file.ts';

const target = fileURLToPath(new URL(`../${PROMETHEUS_RULES_FILE}`, import.meta.url));
writeFileSync(target, prometheusRulesYaml());
process.stdout.write(`wrote ${PROMETHEUS_RULES_FILE}\n`);
