// The HPA's tolerance, which every count the scaler recommends passes through before it is carried out.

/** The HPA's default tolerance: it ignores a desired count within ±10 % of current. */
export const HPA_TOLERANCE = 0.1;
