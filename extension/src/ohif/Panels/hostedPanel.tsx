// Bridges our bundled React into OHIF's side panel. The host's React (18.3.1) is not importable, and hooks of one
// React copy cannot run inside another's render. The host therefore renders only this class component (React 18
// recognises any class whose prototype carries `isReactComponent`, and gives it the host's updater), which mounts a
// separate root of our React into its own <div>.
import { Component, type ComponentType } from 'react';
import { createRoot, type Root } from 'react-dom/client';

/** Wraps a component of our React so the host's React can render it. */
export function hostedPanel(Inner: ComponentType): ComponentType {
  return class HostedPanel extends Component {
    private container: HTMLDivElement | null = null;
    private root: Root | undefined;

    override componentDidMount() {
      if (!this.container) return;
      this.root = createRoot(this.container);
      this.root.render(<Inner />);
    }

    override componentWillUnmount() {
      this.root?.unmount();
      this.root = undefined;
    }

    override render() {
      return (
        <div
          ref={(el) => {
            this.container = el;
          }}
          style={{ height: '100%', overflow: 'auto' }}
        />
      );
    }
  };
}
