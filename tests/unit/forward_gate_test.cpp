// The forwarding gate (core/forward_gate.h): the one rule every forwarded or
// fanned-out message asks — what each link negotiated, the ttl, the per-link
// and per-origin rates (forwarded SENDs only, for now), and where a copy may go.
#include "core/forward_gate.h"

#include <gtest/gtest.h>

namespace p2p {
namespace {

constexpr std::uint32_t kFull = kAllFeatures;
constexpr std::uint32_t kNoRelay = kAllFeatures & ~(kFeatureRelay | kFeatureWhoHas);

// An established neighbour link that negotiated `features` (a Link holds
// its queue, so it is built in place).
struct Neighbour {
    explicit Neighbour(std::uint32_t features) {
        link.used = true;
        link.state = LinkState::kEstablished;
        link.features = features;
        link.legacy = (features & kFeatureRelay) == 0;
    }
    Link link;
};

ForwardGate gate(std::uint32_t own = kFull, int per_link = 100, int per_origin = 100) {
    return ForwardGate(own, per_link, per_origin, 8);
}

TEST(ForwardGate, EachKindNeedsWhatItsLinkNegotiated) {
    ForwardGate g = gate();
    Neighbour full_n(kFull);
    Link& full = full_n.link;
    Neighbour legacy_n(kFeatureAck);
    Link& legacy = legacy_n.link;
    Neighbour metrics_only_n(kFeatureAck | kFeatureMetrics);
    Link& metrics_only = metrics_only_n.link;
    EXPECT_TRUE(g.negotiated(Forward::kSend, full));
    EXPECT_FALSE(g.negotiated(Forward::kSend, legacy));
    EXPECT_TRUE(g.negotiated(Forward::kWhoHas, full));
    EXPECT_FALSE(g.negotiated(Forward::kWhoHas, metrics_only));
    EXPECT_TRUE(g.negotiated(Forward::kWhoHasHit, full));
    EXPECT_FALSE(g.negotiated(Forward::kWhoHasHit, legacy));
    EXPECT_TRUE(g.negotiated(Forward::kMetricsReq, metrics_only));
    EXPECT_FALSE(g.negotiated(Forward::kMetricsReq, legacy));
    // A PUB is taken from any neighbour; answers to what we passed on too.
    EXPECT_TRUE(g.negotiated(Forward::kPub, legacy));
    EXPECT_TRUE(g.negotiated(Forward::kPassBack, legacy));
}

TEST(ForwardGate, ANodeWithoutRelayForwardsNothing) {
    ForwardGate g = gate(kNoRelay);
    Neighbour full_n(kFull);
    Link& full = full_n.link;
    EXPECT_FALSE(g.relaying());
    EXPECT_FALSE(g.negotiated(Forward::kSend, full));
    EXPECT_FALSE(g.negotiated(Forward::kWhoHas, full));
    EXPECT_EQ(g.admit(Forward::kSend, full, 3, "a@X", 0), ForwardVerdict::kNotNegotiated);
    EXPECT_EQ(g.admit(Forward::kPub, full, 3, "a@X", 0), ForwardVerdict::kNotNegotiated);
    EXPECT_EQ(g.admit(Forward::kWhoHas, full, 3, "a@X", 0), ForwardVerdict::kNotNegotiated);
}

TEST(ForwardGate, TtlDecidesWhetherAHopIsLeft) {
    ForwardGate g = gate();
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    EXPECT_EQ(g.admit(Forward::kSend, from, 0, "a@X", 0), ForwardVerdict::kTtlExpired);
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "a@X", 0), ForwardVerdict::kPass);
    EXPECT_EQ(g.admit(Forward::kPub, from, 0, "a@X", 0), ForwardVerdict::kTtlExpired);
    EXPECT_EQ(g.admit(Forward::kPub, from, 1, "a@X", 0), ForwardVerdict::kPass);
    // A WHO_HAS asked further must still reach a neighbour: ttl 2 at least.
    EXPECT_EQ(g.admit(Forward::kWhoHas, from, 1, "a@X", 0), ForwardVerdict::kTtlExpired);
    EXPECT_EQ(g.admit(Forward::kWhoHas, from, 2, "a@X", 0), ForwardVerdict::kPass);
    // A METRICS_REQ is answered by the neighbour, never passed on.
    EXPECT_EQ(g.admit(Forward::kMetricsReq, from, 8, "a@X", 0), ForwardVerdict::kTtlExpired);
}

TEST(ForwardGate, ALinkGetsItsRateOfForwardedSendsPerSecond) {
    ForwardGate g = gate(kFull, 3, 100);
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    // A fresh origin per message does not escape the link's rate.
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "a@X", 0), ForwardVerdict::kPass);
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "b@X", 10), ForwardVerdict::kPass);
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "c@X", 20), ForwardVerdict::kPass);
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "d@X", 30), ForwardVerdict::kOverQuota);
    Neighbour other_n(kFull);
    Link& other = other_n.link;
    EXPECT_EQ(g.admit(Forward::kSend, other, 1, "d@X", 30), ForwardVerdict::kPass);
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "e@X", 1000), ForwardVerdict::kPass);  // next second
}

TEST(ForwardGate, AnOriginGetsItsRateAcrossLinksAndIsCountedOnlyPastTheLinkRate) {
    ForwardGate g = gate(kFull, 1, 2);
    Neighbour a_n(kFull);
    Link& a = a_n.link;
    Neighbour b_n(kFull);
    Link& b = b_n.link;
    Neighbour c_n(kFull);
    Link& c = c_n.link;
    EXPECT_EQ(g.admit(Forward::kSend, a, 1, "o@X", 0), ForwardVerdict::kPass);       // o: 1
    EXPECT_EQ(g.admit(Forward::kSend, a, 1, "o@X", 1), ForwardVerdict::kOverQuota);  // a's rate
    EXPECT_EQ(g.admit(Forward::kSend, b, 1, "o@X", 2), ForwardVerdict::kPass);       // o: 2
    EXPECT_EQ(g.admit(Forward::kSend, c, 1, "o@X", 3), ForwardVerdict::kOverQuota);  // o's rate
    EXPECT_EQ(g.tracked_origins(), 1u);
}

TEST(ForwardGate, RatesApplyToForwardedSendsOnly) {
    ForwardGate g = gate(kFull, 1, 1);
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(g.admit(Forward::kPub, from, 1, "o@X", i), ForwardVerdict::kPass);
        EXPECT_EQ(g.admit(Forward::kWhoHas, from, 2, "o@X", i), ForwardVerdict::kPass);
        EXPECT_EQ(g.admit(Forward::kPassBack, from, 1, "o@X", i), ForwardVerdict::kPass);
        EXPECT_EQ(g.admit(Forward::kWhoHasHit, from, 1, "o@X", i), ForwardVerdict::kPass);
    }
    EXPECT_EQ(g.tracked_origins(), 0u);
    // An unnegotiated SEND is refused before its rates are counted.
    Neighbour legacy_n(kFeatureAck);
    Link& legacy = legacy_n.link;
    EXPECT_EQ(g.admit(Forward::kSend, legacy, 1, "o@X", 0), ForwardVerdict::kNotNegotiated);
    EXPECT_EQ(g.admit(Forward::kSend, legacy, 0, "o@X", 0), ForwardVerdict::kNotNegotiated);
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "o@X", 0), ForwardVerdict::kPass);
}

TEST(ForwardGate, ACopyNeverGoesBackWhereItCameFrom) {
    ForwardGate g = gate();
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    Neighbour to_n(kFull);
    Link& to = to_n.link;
    for (Forward k : {Forward::kSend, Forward::kPub, Forward::kWhoHas, Forward::kWhoHasHit,
                      Forward::kPassBack, Forward::kMetricsReq}) {
        EXPECT_FALSE(g.may_send_to(k, &from, from)) << static_cast<int>(k);
        EXPECT_TRUE(g.may_send_to(k, &from, to)) << static_cast<int>(k);
    }
}

TEST(ForwardGate, CopiesGoOnlyToNeighboursThatSpeakTheirKind) {
    ForwardGate g = gate();
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    Neighbour legacy_n(kFeatureAck);
    Link& legacy = legacy_n.link;
    // A relayed PUB skips legacy neighbours (they do not deduplicate); ours reaches them.
    EXPECT_FALSE(g.may_send_to(Forward::kPub, &from, legacy));
    EXPECT_TRUE(g.may_send_to(Forward::kPub, nullptr, legacy));
    EXPECT_FALSE(g.may_send_to(Forward::kWhoHas, &from, legacy));
    EXPECT_FALSE(g.may_send_to(Forward::kWhoHas, nullptr, legacy));
    EXPECT_FALSE(g.may_send_to(Forward::kMetricsReq, nullptr, legacy));
    // A forwarded SEND may go to a legacy destination (its ttl is set to 1).
    EXPECT_TRUE(g.may_send_to(Forward::kSend, &from, legacy));
    EXPECT_TRUE(g.may_send_to(Forward::kPassBack, &from, legacy));
}

}  // namespace
}  // namespace p2p
