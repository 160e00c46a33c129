// The forwarding gate (core/forward_gate.h): the one rule every forwarded or
// fanned-out message asks — what each link negotiated, the ttl and its clamp,
// the per-link and per-origin token buckets (every rated kind), where a copy
// may go, and the counts of what it answered.
#include "core/forward_gate.h"

#include <gtest/gtest.h>

#include <string>

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

ForwardGate gate(std::uint32_t own = kFull, int per_link = 100, int per_origin = 100,
                 int max_ttl = 8) {
    return ForwardGate(own, max_ttl, per_link, per_origin, 8);
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
    // A PUB is passed on only from a relay neighbour (a legacy one's is shown,
    // not flooded further); answers to what we passed on come from anyone.
    EXPECT_TRUE(g.negotiated(Forward::kPub, full));
    EXPECT_FALSE(g.negotiated(Forward::kPub, legacy));
    EXPECT_EQ(g.admit(Forward::kPub, legacy, 5, "a@X", 0), ForwardVerdict::kNotNegotiated);
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
    // A METRICS_REQ is answered here, never passed on: no ttl rule, only its rate.
    EXPECT_EQ(g.admit(Forward::kMetricsReq, from, 0, "a@X", 0), ForwardVerdict::kPass);
}

TEST(ForwardGate, TtlIsClampedToTheConfiguredMaximumOnEveryForward) {
    ForwardGate g = gate(kFull, 100, 100, 3);
    EXPECT_EQ(g.next_ttl(1'000'000), 2);  // at most --relay-ttl hops, one spent here
    EXPECT_EQ(g.next_ttl(3), 2);
    EXPECT_EQ(g.next_ttl(2), 1);
    EXPECT_EQ(g.next_ttl(1), 0);
    // With the default --relay-ttl 1 a WHO_HAS is never asked further,
    // whatever ttl it claims.
    ForwardGate one = gate(kFull, 100, 100, 1);
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    EXPECT_EQ(one.admit(Forward::kWhoHas, from, 1'000'000, "a@X", 0), ForwardVerdict::kTtlExpired);
    EXPECT_EQ(one.admit(Forward::kPub, from, 1'000'000, "a@X", 0), ForwardVerdict::kPass);
    EXPECT_EQ(one.next_ttl(1'000'000), 0);
    EXPECT_EQ(g.admit(Forward::kWhoHas, from, 1'000'000, "a@X", 0), ForwardVerdict::kPass);
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

TEST(ForwardGate, EveryRatedKindSpendsTheLinkBucketAnswersPassedBackDoNot) {
    for (Forward k : {Forward::kPub, Forward::kWhoHas, Forward::kWhoHasHit, Forward::kMetricsReq}) {
        ForwardGate g = gate(kFull, 3, 100);
        Neighbour from_n(kFull);
        Link& from = from_n.link;
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(g.admit(k, from, 2, "o" + std::to_string(i) + "@X", i), ForwardVerdict::kPass)
                << forward_kind_name(k);
        EXPECT_EQ(g.admit(k, from, 2, "fresh@X", 3), ForwardVerdict::kOverQuota)
            << forward_kind_name(k);
        // The bucket is the link's, whatever the kind: a SEND finds it empty too.
        EXPECT_EQ(g.admit(Forward::kSend, from, 2, "other@X", 4), ForwardVerdict::kOverQuota);
        for (int i = 0; i < 10; ++i)
            EXPECT_EQ(g.admit(Forward::kPassBack, from, 1, "o@X", 5), ForwardVerdict::kPass);
    }
    // An unnegotiated SEND is refused before its rates are counted.
    ForwardGate g = gate(kFull, 1, 1);
    Neighbour legacy_n(kFeatureAck);
    Link& legacy = legacy_n.link;
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    EXPECT_EQ(g.admit(Forward::kSend, legacy, 1, "o@X", 0), ForwardVerdict::kNotNegotiated);
    EXPECT_EQ(g.admit(Forward::kSend, legacy, 0, "o@X", 0), ForwardVerdict::kNotNegotiated);
    EXPECT_EQ(g.tracked_origins(), 0u);
    EXPECT_EQ(g.admit(Forward::kSend, from, 1, "o@X", 0), ForwardVerdict::kPass);
}

TEST(ForwardGate, ABurstAfterAPauseGoesWholeAFloodGetsTheRateAndNoMore) {
    ForwardGate g = gate(kFull, 10, 1000);
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    auto burst = [&](MonoMs at, int n) {
        int passed = 0;
        for (int i = 0; i < n; ++i)
            if (g.admit(Forward::kPub, from, 1, "o@X", at) == ForwardVerdict::kPass) ++passed;
        return passed;
    };
    EXPECT_EQ(burst(999, 15), 10);     // the bucket holds one second's worth
    EXPECT_EQ(burst(1000, 15), 0);     // a window that just turned over gives nothing more
    EXPECT_EQ(burst(1100, 15), 1);     // refilled at the rate: 10/s, one per 100 ms
    EXPECT_EQ(burst(60'000, 10), 10);  // after a pause a whole burst again
    EXPECT_EQ(burst(60'000, 1), 0);
}

TEST(ForwardGate, EveryAnswerIsCountedPerKindAndVerdict) {
    ForwardGate g = gate(kFull, 2, 100, 2);
    Neighbour from_n(kFull);
    Link& from = from_n.link;
    Neighbour legacy_n(kFeatureAck);
    Link& legacy = legacy_n.link;
    g.admit(Forward::kPub, from, 1, "o@X", 0);
    g.admit(Forward::kPub, from, 0, "o@X", 0);
    g.admit(Forward::kPub, legacy, 1, "o@X", 0);
    g.admit(Forward::kWhoHas, from, 9, "o@X", 0);
    g.admit(Forward::kWhoHas, from, 9, "o@X", 0);
    const ForwardCounts& c = g.counts();
    EXPECT_EQ(c.at(Forward::kPub, ForwardVerdict::kPass), 1u);
    EXPECT_EQ(c.at(Forward::kPub, ForwardVerdict::kTtlExpired), 1u);
    EXPECT_EQ(c.at(Forward::kPub, ForwardVerdict::kNotNegotiated), 1u);
    EXPECT_EQ(c.refused(Forward::kPub), 2u);
    EXPECT_EQ(c.at(Forward::kWhoHas, ForwardVerdict::kPass), 1u);
    EXPECT_EQ(c.at(Forward::kWhoHas, ForwardVerdict::kOverQuota), 1u);
    EXPECT_EQ(c.at(Forward::kSend, ForwardVerdict::kPass), 0u);
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
