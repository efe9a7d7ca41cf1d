/// QuarryAnalysis module marker.
enum QuarryAnalysisModule {}
