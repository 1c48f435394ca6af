package io.jsae.provisioning;

/** How an offer is priced, which decides how far its figure can be trusted and whether a run can be interrupted. */
public enum PricingModel {
    /** A fixed list price; the instance runs until you stop it. */
    ON_DEMAND,
    /** Spare capacity at a discount; the provider may reclaim the instance at short notice. */
    SPOT,
    /** A price set by individual hosts on a marketplace; it moves often and varies between hosts. */
    MARKETPLACE
}
