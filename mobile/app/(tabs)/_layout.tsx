import { Tabs, useRouter } from "expo-router";
import { Pressable } from "react-native";
import { Icon, type IconName } from "../../src/ui/Icon";
import { Text } from "../../src/ui/Text";
import { MIN_TOUCH, usePalette } from "../../src/ui/theme";

const TABS: { name: string; title: string; icon: IconName }[] = [
  { name: "index", title: "Dashboard", icon: "dashboard" },
  { name: "positions", title: "Positions", icon: "positions" },
  { name: "activity", title: "Activity", icon: "activity" },
  { name: "settings", title: "Settings", icon: "settings" },
];

export default function TabsLayout() {
  const palette = usePalette();
  const router = useRouter();
  return (
    <Tabs
      screenOptions={{
        headerStyle: { backgroundColor: palette.card },
        headerTintColor: palette.text,
        tabBarStyle: { backgroundColor: palette.card, minHeight: 56 },
        tabBarActiveTintColor: palette.primary,
        tabBarInactiveTintColor: palette.muted,
        tabBarLabelStyle: { fontSize: 12, fontWeight: "600" },
        sceneStyle: { backgroundColor: palette.background },
      }}
    >
      {TABS.map((tab) => (
        <Tabs.Screen
          key={tab.name}
          name={tab.name}
          options={{
            title: tab.title,
            tabBarAccessibilityLabel: tab.title,
            tabBarIcon: ({ color }) => <Icon name={tab.icon} color={String(color)} />,
            headerRight:
              tab.name === "index" || tab.name === "positions"
                ? () => (
                    <Pressable
                      accessibilityRole="button"
                      accessibilityLabel="New order"
                      onPress={() => router.push("/order")}
                      style={{ minHeight: MIN_TOUCH, minWidth: MIN_TOUCH, justifyContent: "center", paddingHorizontal: 12 }}
                    >
                      <Text style={{ color: palette.primary, fontWeight: "700" }}>+ Order</Text>
                    </Pressable>
                  )
                : undefined,
          }}
        />
      ))}
    </Tabs>
  );
}
