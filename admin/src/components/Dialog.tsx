import { useEffect, useRef, type ReactNode } from "react";

interface Props {
  title: string;
  onCancel: () => void;
  children: ReactNode;
}

/** A modal dialog: labelled, focus moves into it and stays there, Escape cancels. */
export function Dialog({ title, onCancel, children }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const previous = useRef<Element | null>(null);
  useEffect(() => {
    previous.current = document.activeElement;
    const first = box.current?.querySelector<HTMLElement>(
      "input, select, textarea, button:not([data-cancel])",
    );
    first?.focus();
    return () => {
      if (previous.current instanceof HTMLElement) previous.current.focus();
    };
  }, []);
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      onCancel();
      return;
    }
    if (event.key !== "Tab" || !box.current) return;
    const focusable = Array.from(
      box.current.querySelectorAll<HTMLElement>("input, select, textarea, button, a[href]"),
    ).filter((el) => !el.hasAttribute("disabled"));
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  return (
    <div className="backdrop">
      <div
        ref={box}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        onKeyDown={onKeyDown}
      >
        <h2 id="dialog-title">{title}</h2>
        {children}
      </div>
    </div>
  );
}
