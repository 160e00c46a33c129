// core/timer_queue: ordering, cancel by id, id reuse safety, the seq limit
// the loop uses, and that steady-state churn does not allocate (capacity
// stays put), checked against a brute-force model.
#include "core/timer_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "core/rng.h"

namespace p2p {
namespace {

void* h(int i) {
    return reinterpret_cast<void*>(static_cast<std::intptr_t>(i));
}

std::vector<std::uint64_t> drain(TimerQueue& q, MonoMs now) {
    std::vector<std::uint64_t> tags;
    TimerQueue::Entry e;
    while (q.pop_due(now, e))
        tags.push_back(e.tag);
    return tags;
}

TEST(TimerQueue, PopsInDeadlineOrderAndTiesInScheduleOrder) {
    TimerQueue q(8);
    q.push(30, h(1), 3);
    q.push(10, h(1), 1);
    q.push(20, h(1), 21);
    q.push(20, h(1), 22);
    q.push(20, h(1), 23);
    MonoMs next = 0;
    ASSERT_TRUE(q.next_deadline(next));
    EXPECT_EQ(next, 10);
    EXPECT_EQ(drain(q, 9), std::vector<std::uint64_t>{});
    EXPECT_EQ(drain(q, 20), (std::vector<std::uint64_t>{1, 21, 22, 23}));
    EXPECT_EQ(drain(q, 100), (std::vector<std::uint64_t>{3}));
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.next_deadline(next));
}

TEST(TimerQueue, EntryCarriesHandlerTagAndId) {
    TimerQueue q;
    TimerQueue::Id id = q.push(5, h(42), 777);
    TimerQueue::Entry e;
    ASSERT_TRUE(q.pop_due(5, e));
    EXPECT_EQ(e.handler, h(42));
    EXPECT_EQ(e.tag, 777u);
    EXPECT_EQ(e.id, id);
    EXPECT_EQ(e.deadline, 5);
}

TEST(TimerQueue, CancelRemovesAtOnceAndOnlyOnce) {
    TimerQueue q;
    TimerQueue::Id a = q.push(10, h(1), 1);
    TimerQueue::Id b = q.push(20, h(1), 2);
    TimerQueue::Id c = q.push(30, h(1), 3);
    EXPECT_NE(a, 0u);
    EXPECT_TRUE(q.contains(b));
    EXPECT_TRUE(q.cancel(b));
    EXPECT_FALSE(q.contains(b));
    EXPECT_FALSE(q.cancel(b));
    EXPECT_FALSE(q.cancel(0));
    EXPECT_FALSE(q.cancel(0xdeadbeef12345678ull));
    EXPECT_EQ(q.size(), 2u);
    EXPECT_TRUE(q.cancel(a));  // the root
    EXPECT_EQ(drain(q, 100), (std::vector<std::uint64_t>{3}));
    EXPECT_FALSE(q.cancel(c)) << "fired timers cannot be cancelled";
}

TEST(TimerQueue, StaleIdNeverCancelsTheSlotsNextTimer) {
    TimerQueue q;
    TimerQueue::Id old_id = q.push(10, h(1), 1);
    ASSERT_TRUE(q.cancel(old_id));
    TimerQueue::Id new_id = q.push(10, h(1), 2);  // reuses the freed slot
    EXPECT_NE(old_id, new_id);
    EXPECT_FALSE(q.cancel(old_id));
    EXPECT_TRUE(q.contains(new_id));
    EXPECT_EQ(drain(q, 10), (std::vector<std::uint64_t>{2}));
}

TEST(TimerQueue, SeqLimitHoldsBackTimersScheduledAfterTheMark) {
    TimerQueue q;
    q.push(0, h(1), 1);
    std::uint64_t mark = q.next_seq();
    q.push(0, h(1), 2);  // "scheduled by a handler" after the loop looked
    TimerQueue::Entry e;
    ASSERT_TRUE(q.pop_due(0, e, mark));
    EXPECT_EQ(e.tag, 1u);
    EXPECT_FALSE(q.pop_due(0, e, mark));
    EXPECT_TRUE(q.pop_due(0, e));
    EXPECT_EQ(e.tag, 2u);
}

TEST(TimerQueue, SteadyStateChurnDoesNotGrow) {
    TimerQueue q(256);
    Rng rng(7);
    std::vector<TimerQueue::Id> live;
    for (int i = 0; i < 200; ++i)
        live.push_back(q.push(rng.below(1000), h(1), i));
    std::size_t cap = q.capacity();
    MonoMs now = 0;
    for (int round = 0; round < 20000; ++round) {
        // Cancel one, schedule one, fire what is due: the live count stays ~200.
        std::size_t k = rng.below(live.size());
        q.cancel(live[k]);
        live[k] = q.push(now + static_cast<MonoMs>(rng.below(1000)), h(1), round);
        now += 1;
        TimerQueue::Entry e;
        while (q.pop_due(now, e)) {
            auto it = std::find(live.begin(), live.end(), e.id);
            ASSERT_NE(it, live.end());
            *it = q.push(now + static_cast<MonoMs>(rng.below(1000)), h(1), round);
        }
    }
    EXPECT_EQ(q.size(), 200u);
    EXPECT_EQ(q.capacity(), cap) << "heap reallocated in steady state";
}

// Random operations against a brute-force model: every pop is the model's
// minimum (deadline, then schedule order); cancel agrees on liveness.
TEST(TimerQueue, MatchesABruteForceModel) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        TimerQueue q(4);  // small reserve: growth must be correct too
        Rng rng(seed);
        std::map<TimerQueue::Id, std::pair<MonoMs, std::uint64_t>>
            model;  // id -> (deadline, order)
        std::vector<TimerQueue::Id> ever;
        std::uint64_t order = 0;
        MonoMs now = 0;
        for (int step = 0; step < 3000; ++step) {
            std::uint64_t op = rng.below(10);
            if (op < 5) {
                MonoMs d = now + static_cast<MonoMs>(rng.below(50));
                TimerQueue::Id id = q.push(d, h(1), order);
                ASSERT_EQ(model.count(id), 0u);
                model[id] = {d, order++};
                ever.push_back(id);
            } else if (op < 8 && !ever.empty()) {
                TimerQueue::Id id = ever[rng.below(ever.size())];
                bool live = model.erase(id) == 1;
                ASSERT_EQ(q.cancel(id), live) << "seed " << seed << " step " << step;
            } else {
                now += static_cast<MonoMs>(rng.below(20));
                TimerQueue::Entry e;
                while (q.pop_due(now, e)) {
                    auto best = std::min_element(
                        model.begin(), model.end(),
                        [](const auto& a, const auto& b) { return a.second < b.second; });
                    ASSERT_NE(best, model.end());
                    ASSERT_EQ(e.id, best->first) << "seed " << seed << " step " << step;
                    ASSERT_LE(e.deadline, now);
                    model.erase(best);
                }
                for (const auto& [id, v] : model)
                    ASSERT_GT(v.first, now);
            }
            ASSERT_EQ(q.size(), model.size());
        }
    }
}

}  // namespace
}  // namespace p2p
