import XCTest

final class QuarryAnalysisTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
