enum QuarryTestSupportModule {}
