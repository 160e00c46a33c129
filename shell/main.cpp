// Entry point: dispatches `p2pchat rendezvous ...` and the node. (Being written.)
int main() { return 0; }
