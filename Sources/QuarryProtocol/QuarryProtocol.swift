/// QuarryProtocol module marker.
enum QuarryProtocolModule {}
