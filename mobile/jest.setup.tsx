/* Test doubles for native modules that do not exist under Jest, and for the chart. */
import { webcrypto } from "crypto";

if (!globalThis.crypto?.getRandomValues) {
  Object.defineProperty(globalThis, "crypto", { value: webcrypto, configurable: true });
}

// gifted-charts' animation timers outlive a test and crash Jest after teardown: a stub View
// carries what the chart was given, so tests can assert on it (the real chart runs in the web e2e).
jest.mock("react-native-gifted-charts/dist/LineChart", () => {
  const { View } = jest.requireActual("react-native");
  return {
    LineChart: (props: { data: unknown[]; hideDataPoints?: boolean }) => (
      <View testID="line-chart" accessibilityHint={`${props.data.length} point${props.data.length === 1 ? "" : "s"}${props.hideDataPoints ? "" : ", each shown"}`} />
    ),
  };
});

const mockRouter = { push: jest.fn(), replace: jest.fn(), back: jest.fn(), navigate: jest.fn() };
const mockSearchParams: Record<string, string> = {};
// A screen is focused once mounted; `refocus()` plays the trader leaving its tab and coming back.
const mockFocus = {
  screens: new Set<() => void>(),
  refocus() {
    this.screens.forEach((again) => again());
  },
};
jest.mock("expo-router", () => {
  const { useEffect } = jest.requireActual("react");
  return {
    useRouter: () => mockRouter,
    useLocalSearchParams: () => mockSearchParams,
    useFocusEffect: (effect: () => void | (() => void)) =>
      useEffect(() => {
        let blur = effect();
        const again = () => {
          blur?.();
          blur = effect();
        };
        mockFocus.screens.add(again);
        return () => {
          mockFocus.screens.delete(again);
          blur?.();
        };
      }, [effect]),
    router: mockRouter,
  };
});
(globalThis as Record<string, unknown>).__router = mockRouter;
(globalThis as Record<string, unknown>).__searchParams = mockSearchParams;
(globalThis as Record<string, unknown>).__focus = mockFocus;

const mockSecure = new Map<string, string>();
(globalThis as Record<string, unknown>).__secure = mockSecure;
jest.mock("expo-secure-store", () => ({
  WHEN_PASSCODE_SET_THIS_DEVICE_ONLY: 6,
  getItemAsync: jest.fn(async (key: string) => mockSecure.get(key) ?? null),
  setItemAsync: jest.fn(async (key: string, value: string) => void mockSecure.set(key, value)),
  deleteItemAsync: jest.fn(async (key: string) => void mockSecure.delete(key)),
  canUseBiometricAuthentication: jest.fn(() => true),
}));

jest.mock("expo-local-authentication", () => ({
  hasHardwareAsync: jest.fn(async () => true),
  isEnrolledAsync: jest.fn(async () => true),
  authenticateAsync: jest.fn(async () => ({ success: true })),
}));

jest.mock("expo-screen-capture", () => ({
  preventScreenCaptureAsync: jest.fn(async () => undefined),
  allowScreenCaptureAsync: jest.fn(async () => undefined),
}));

jest.mock("expo-clipboard", () => ({ setStringAsync: jest.fn(async () => true) }));
jest.mock("expo-sharing", () => ({ shareAsync: jest.fn(async () => undefined) }));
jest.mock("expo-file-system", () => {
  class File {
    uri: string;
    static written = new Map<string, string>();
    constructor(_dir: unknown, name: string) {
      this.uri = `file:///cache/${name}`;
    }
    create() {}
    write(text: string) {
      File.written.set(this.uri, text);
    }
  }
  return { File, Paths: { cache: "cache" } };
});
jest.mock("expo-device", () => ({ isDevice: true }));
jest.mock("expo-notifications", () => ({
  getPermissionsAsync: jest.fn(async () => ({ status: "granted" })),
  requestPermissionsAsync: jest.fn(async () => ({ status: "granted" })),
  getExpoPushTokenAsync: jest.fn(async () => ({ data: "ExponentPushToken[test-token]" })),
  setNotificationChannelAsync: jest.fn(async () => undefined),
  getLastNotificationResponseAsync: jest.fn(async () => null),
  addNotificationResponseReceivedListener: jest.fn(() => ({ remove: jest.fn() })),
  AndroidImportance: { HIGH: 4 },
}));

/** A WebSocket double: tests reach the sockets opened and drive them. */
class FakeWebSocket {
  static sockets: FakeWebSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeWebSocket.sockets.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}
(globalThis as Record<string, unknown>).WebSocket = FakeWebSocket;
(globalThis as Record<string, unknown>).__FakeWebSocket = FakeWebSocket;

beforeEach(() => {
  mockSecure.clear();
  FakeWebSocket.sockets = [];
  Object.values(mockRouter).forEach((fn) => fn.mockClear());
  for (const key of Object.keys(mockSearchParams)) delete mockSearchParams[key];
});

// Reanimated's worklets need their native half: the swipeable renders its actions beside the
// card instead, so tests press them as a swipe would reveal them.
jest.mock("react-native-gesture-handler/ReanimatedSwipeable", () => {
  const { View } = jest.requireActual("react-native");
  return (props: { renderLeftActions: () => unknown; renderRightActions: () => unknown; children: unknown }) => (
    <View testID="swipeable">
      {props.renderLeftActions() as never}
      {props.children as never}
      {props.renderRightActions() as never}
    </View>
  );
});

// The machine is shared: give findBy/waitFor room before calling a screen wrong.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("@testing-library/react-native").configure({ asyncUtilTimeout: 5000 });
