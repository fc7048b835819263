// The ScaledObjects `npm run bench:grpc` polls: one per index, each with its own selector so the
// advisor keeps one target (and one decision state) per index, as for distinct gateway tiers.

export function benchTargetRef(index: number) {
  return { namespace: 'bench', name: `gateway-${index}`, scalerMetadata: { gatewaySelector: `job="gateway-${index}"`, scalerAddress: 'bench:6000' } };
}
