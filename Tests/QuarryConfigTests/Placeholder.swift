import XCTest

final class QuarryConfigTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
