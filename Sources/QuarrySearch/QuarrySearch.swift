/// QuarrySearch module marker.
enum QuarrySearchModule {}
