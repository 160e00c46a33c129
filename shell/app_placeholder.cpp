namespace p2p {}
