import XCTest

final class QuarrySearchTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
